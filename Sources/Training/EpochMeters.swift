/// The running figures of one training epoch, as the reference's `train()` keeps them
/// (`AverageMeter`s of batch time, data time, loss weighted by batch size and accuracy weighted by
/// counted joints), plus the seconds spent waiting for data, for the wait share.
struct EpochMeters {
    var batchTime = AverageMeter(), dataTime = AverageMeter(), losses = AverageMeter(), accuracy = AverageMeter()
    private(set) var samples = 0

    init() {}

    /// Meters holding `rows` (metrics.csv step rows of this epoch, written before a resume).
    init(replaying rows: [MetricsLog.StepRow]) {
        for r in rows {
            add(
                loss: r.loss, accuracy: HeatmapAccuracySummary(value: r.accuracy, count: r.jointsCounted),
                items: r.items,
                batchSeconds: r.batchTime, dataSeconds: r.dataTime)
        }
    }

    mutating func add(
        loss: Double, accuracy acc: HeatmapAccuracySummary, items: Int, batchSeconds: Double, dataSeconds: Double
    ) {
        losses.update(loss, Double(items))
        accuracy.update(acc.value, Double(acc.count))
        batchTime.update(batchSeconds)
        dataTime.update(dataSeconds)
        samples += items
    }

    /// Share of step time (data wait included) spent waiting for data.
    var dataWaitShare: Double { batchTime.sum > 0 ? dataTime.sum / batchTime.sum : 0 }
    var samplesPerSecond: Double { batchTime.sum > 0 ? Double(samples) / batchTime.sum : 0 }

    /// The reference's line: `Epoch: [e][i/n]  Time t (avg)  Speed s samples/s  Data d (avg)  Loss l (avg)  Accuracy a
    /// (avg)`.
    func line(epoch: Int, index: Int, batches: Int, items: Int) -> String {
        "Epoch: [\(epoch)][\(index)/\(batches)]\tTime \(fixed(batchTime.value, 3))s (\(fixed(batchTime.average, 3))s)\t"
            + """
                Speed \(fixed(Double(items) / batchTime.value, 1)) samples/s\tData \(fixed(dataTime.value, 3))s \
                (\(fixed(dataTime.average, 3))s)\t
                """
            + """
                Loss \(fixed(losses.value, 5)) (\(fixed(losses.average, 5)))\tAccuracy \(fixed(accuracy.value, 3)) \
                (\(fixed(accuracy.average, 3)))
                """
    }

    /// The epoch's closing line.
    func summary(epoch: Int) -> String {
        guard samples > 0 else { return "=> epoch \(epoch): no steps left after the resume" }
        return "=> epoch \(epoch): loss \(fixed(losses.average, 5)), accuracy \(fixed(accuracy.average, 3)), "
            + "\(fixed(samplesPerSecond, 1)) samples/s, data wait \(fixed(100 * dataWaitShare, 2))% of step time"
    }
}

/// A step's heatmap accuracy as the meters use it: the average over counted joints and their count.
struct HeatmapAccuracySummary {
    var value: Double
    var count: Int
}
