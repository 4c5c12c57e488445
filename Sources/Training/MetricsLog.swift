import Foundation
import SafeTensors

/// `metrics.csv` of a run: one row per training step (`kind = step`) and one per epoch
/// (`kind = epoch`, with the validation figures), flushed as written so a plot or `tail -f` sees
/// every row. Empty cells where a figure does not apply.
public final class MetricsLog {
    /// `pck_0.2`: a COCO-format dataset without OKS sigmas is scored by PCK at 0.2 of the box size
    /// (percent, like `pckh_mean`) instead of AP.
    public static let columns = ["kind", "epoch", "step", "iter", "lr", "loss", "accuracy", "batch_time", "data_time",
        "samples_per_s", "valid_loss", "valid_accuracy", "pckh_mean", "pckh_mean_0.1", "pckh_mean_0.11", "items",
        "joints_counted", "coco_ap", "coco_ap_50", "coco_ar", "pck_0.2"]
    public let path: String
    private let handle: FileHandle
    /// The step rows kept from before a resume.
    private var kept: [StepRow] = []

    /// Opens `path` for appending. A resumed run keeps only the rows written up to its checkpoint
    /// (steps ≤ `keepThroughStep`, epochs < `keepEpochsBefore`), so the rows of steps that are
    /// replayed after a crash do not appear twice; a fresh run (`keepThroughStep` nil) starts anew.
    /// Kept rows are read by the file's own header and rewritten in today's columns, so rows from
    /// a version with fewer columns (before AP was logged) stay, with empty cells for the new ones.
    public init(path: String, keepThroughStep: Int?, keepEpochsBefore: Int) throws {
        self.path = path
        var lines = [Self.columns.joined(separator: ",")]
        if let keep = keepThroughStep, let text = try? String(contentsOfFile: path, encoding: .utf8),
            let rows = try? Self.rows(text, path: path, skippingBadRows: true)
        {
            for row in rows {
                guard let kind = row["kind"], let epoch = row["epoch"].flatMap({ Int($0) }),
                    let step = row["step"].flatMap({ Int($0) })
                else { continue }
                if (kind == "step" && step <= keep) || (kind == "epoch" && epoch < keepEpochsBefore) {
                    lines.append(Self.columns.map { row[$0] ?? "" }.joined(separator: ","))
                }
                if kind == "step" && step <= keep, let kept = StepRow(row) { self.kept.append(kept) }
            }
        }
        try AtomicFile.writeText(lines.joined(separator: "\n") + "\n", to: path)
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw TrainingError("\(path): cannot be opened for writing")
        }
        h.seekToEndOfFile()
        handle = h
    }

    deinit { try? handle.close() }

    /// One training step: `items` samples, `jointsCounted` joints in its accuracy.
    public struct StepRow {
        public var epoch, step, iter: Int
        public var lr, loss, accuracy, batchTime, dataTime, samplesPerSecond: Double
        public var items, jointsCounted: Int

        /// Parses a `step` row, column → value (nil if a cell is missing or does not parse).
        init?(_ row: [String: String]) {
            func int(_ k: String) -> Int? { row[k].flatMap { Int($0) } }
            func double(_ k: String) -> Double? { row[k].flatMap { Double($0) } }
            guard let e = int("epoch"), let s = int("step"), let i = int("iter"), let lr = double("lr"),
                let l = double("loss"), let a = double("accuracy"), let bt = double("batch_time"),
                let dt = double("data_time"), let sp = double("samples_per_s"), let n = int("items"),
                let jc = int("joints_counted")
            else { return nil }
            self.init(
                epoch: e, step: s, iter: i, lr: lr, loss: l, accuracy: a, batchTime: bt, dataTime: dt,
                samplesPerSecond: sp, items: n, jointsCounted: jc)
        }

        init(
            epoch: Int, step: Int, iter: Int, lr: Double, loss: Double, accuracy: Double, batchTime: Double,
            dataTime: Double,
            samplesPerSecond: Double, items: Int, jointsCounted: Int
        ) {
            self.epoch = epoch; self.step = step; self.iter = iter; self.lr = lr; self.loss = loss;
            self.accuracy = accuracy
            self.batchTime = batchTime; self.dataTime = dataTime; self.samplesPerSecond = samplesPerSecond
            self.items = items; self.jointsCounted = jointsCounted
        }
    }

    /// Step rows of `epoch` kept from before a resume.
    func rows(epoch: Int) -> [StepRow] { kept.filter { $0.epoch == epoch } }

    public func write(_ r: StepRow) {
        append([
            "kind": "step", "epoch": "\(r.epoch)", "step": "\(r.step)", "iter": "\(r.iter)", "lr": "\(r.lr)",
            "loss": "\(r.loss)", "accuracy": "\(r.accuracy)", "batch_time": "\(r.batchTime)",
            "data_time": "\(r.dataTime)", "samples_per_s": "\(r.samplesPerSecond)", "items": "\(r.items)",
            "joints_counted": "\(r.jointsCounted)",
        ])
    }

    /// The epoch summary: training means, and validation figures when there was a validation pass.
    public func writeEpoch(
        epoch: Int, step: Int, lr: Double, loss: Double, accuracy: Double, validation: ValidationResult?
    ) {
        let v = validation, t = v?.pckh?.table, stats = v?.coco?.eval?.stats
        append([
            "kind": "epoch", "epoch": "\(epoch)", "step": "\(step)", "lr": "\(lr)", "loss": "\(loss)",
            "accuracy": "\(accuracy)", "valid_loss": v.map { "\($0.loss)" },
            "valid_accuracy": v.map { "\($0.accuracy)" },
            "pckh_mean": t.map { "\($0.mean)" }, "pckh_mean_0.1": t.map { "\($0.meanAt0_1)" },
            "pckh_mean_0.11": t.map { "\($0.meanAt0_11)" }, "coco_ap": stats.map { "\($0[0])" },
            "coco_ap_50": stats.map { "\($0[1])" }, "coco_ar": stats.map { "\($0[5])" },
            "pck_0.2": v?.coco?.pck.map { "\($0.mean)" },
        ])
    }

    /// One row, its cells by column name (a column without a value is an empty cell).
    private func append(_ cells: [String: String?]) {
        let line = Self.columns.map { cells[$0].flatMap { $0 } ?? "" }.joined(separator: ",")
        handle.write(Data((line + "\n").utf8))
    }

    /// Reads the rows back (for the curves picture and tests): each row as column → value, every
    /// column of today's present (empty where the file, written by an older version, has none).
    public static func read(path: String) throws -> [[String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainingError("\(path): cannot be read")
        }
        return try rows(text, path: path, skippingBadRows: false).map { row in
            Dictionary(uniqueKeysWithValues: columns.map { ($0, row[$0] ?? "") })
        }
    }

    /// The rows of a metrics file's text by its own header line (its columns may be fewer than
    /// today's, from an older version). A row whose cell count differs from the header's (a line
    /// torn by a crash) is left out when `skippingBadRows`, else an error naming `path`.
    static func rows(_ text: String, path: String, skippingBadRows: Bool) throws -> [[String: String]] {
        let lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
            header.first == "kind"
        else { throw TrainingError("\(path): no header line starting with 'kind'") }
        return try lines.dropFirst().compactMap { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == header.count else {
                if skippingBadRows { return nil }
                throw TrainingError("\(path): row '\(line)' has \(cells.count) cells, expected \(header.count)")
            }
            return Dictionary(zip(header, cells), uniquingKeysWith: { first, _ in first })
        }
    }
}

extension AtomicFile {
    static func writeText(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }
}
