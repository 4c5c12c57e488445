import Render

/// `curves.png` of a run: training loss and accuracy per step (and per epoch), validation loss,
/// accuracy and PCKh Mean, COCO AP or PCK@0.2 per epoch, drawn from `metrics.csv` with Render's
/// line charts and rewritten after every epoch.
public enum TrainingCurves {
    public static func picture(rows: [[String: String]]) throws -> Canvas {
        func series(_ name: String, kind: String, x: String, y: String) -> Series {
            Series(name: name, points: rows.filter { $0["kind"] == kind }.compactMap { r in
                guard let xv = r[x].flatMap(Double.init), let yv = r[y].flatMap(Double.init) else { return nil }
                return (xv, yv)
            })
        }
        let loss = LineChart(title: "loss", xLabel: "step", yLabel: "JointsMSELoss", series: [
            series("train (step)", kind: "step", x: "step", y: "loss"),
            series("train (epoch mean)", kind: "epoch", x: "step", y: "loss"),
            series("valid", kind: "epoch", x: "step", y: "valid_loss"),
        ].filter { !$0.points.isEmpty })
        var accuracy = [
            series("train (step)", kind: "step", x: "step", y: "accuracy"),
            series("train (epoch mean)", kind: "epoch", x: "step", y: "accuracy"),
            series("valid", kind: "epoch", x: "step", y: "valid_accuracy"),
        ]
        for (name, column) in [("valid PCKh Mean / 100", "pckh_mean"), ("valid PCK@0.2 / 100", "pck_0.2")] {
            let percent = series(name, kind: "epoch", x: "step", y: column)
            accuracy.append(Series(name: name, points: percent.points.map { ($0.x, $0.y / 100) }))
        }
        accuracy.append(series("valid COCO AP", kind: "epoch", x: "step", y: "coco_ap"))
        let acc = LineChart(
            title: "accuracy", xLabel: "step", yLabel: "PCK (heatmap) / PCKh / AP / PCK",
            series: accuracy.filter { !$0.points.isEmpty })
        return Canvas.row([try loss.draw(), try acc.draw()], gap: 8)
    }

    /// Redraws `path` from the metrics file; a picture that cannot be made is reported on the log
    /// and never stops training.
    static func redraw(metrics: String, to path: String, log: ConsoleLog) {
        do {
            try picture(rows: MetricsLog.read(path: metrics)).write(to: path)
        } catch {
            log.line("=> curves not drawn: \(error)")
        }
    }
}
