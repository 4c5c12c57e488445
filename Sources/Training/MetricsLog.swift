import Foundation
import SafeTensors

/// `metrics.csv` of a run: one row per training step (`kind = step`) and one per epoch
/// (`kind = epoch`, with the validation figures), flushed as written so a plot or `tail -f` sees
/// every row. Empty cells where a figure does not apply.
public final class MetricsLog {
    public static let columns = ["kind", "epoch", "step", "iter", "lr", "loss", "accuracy", "batch_time", "data_time",
                                 "samples_per_s", "valid_loss", "valid_accuracy", "pckh_mean", "pckh_mean_0.1", "pckh_mean_0.11", "items", "joints_counted",
                                 "coco_ap", "coco_ap_50", "coco_ar"]
    public let path: String
    private let handle: FileHandle
    /// The step rows kept from before a resume.
    private var kept: [StepRow] = []

    /// Opens `path` for appending. A resumed run keeps only the rows written up to its checkpoint
    /// (steps ≤ `keepThroughStep`, epochs < `keepEpochsBefore`), so the rows of steps that are
    /// replayed after a crash do not appear twice; a fresh run (`keepThroughStep` nil) starts anew.
    public init(path: String, keepThroughStep: Int?, keepEpochsBefore: Int) throws {
        self.path = path
        var lines = [Self.columns.joined(separator: ",")]
        if let keep = keepThroughStep, let text = try? String(contentsOfFile: path, encoding: .utf8) {
            for line in text.split(separator: "\n").dropFirst() {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false)
                guard cells.count == Self.columns.count, let epoch = Int(cells[1]), let step = Int(cells[2]) else { continue }
                if (cells[0] == "step" && step <= keep) || (cells[0] == "epoch" && epoch < keepEpochsBefore) { lines.append(String(line)) }
                if cells[0] == "step" && step <= keep, let row = StepRow(cells: cells.map(String.init)) { kept.append(row) }
            }
        }
        try AtomicFile.writeText(lines.joined(separator: "\n") + "\n", to: path)
        guard let h = FileHandle(forWritingAtPath: path) else { throw TrainingError("\(path): cannot be opened for writing") }
        h.seekToEndOfFile()
        handle = h
    }

    deinit { try? handle.close() }

    /// One training step: `items` samples, `jointsCounted` joints in its accuracy.
    public struct StepRow {
        public var epoch, step, iter: Int
        public var lr, loss, accuracy, batchTime, dataTime, samplesPerSecond: Double
        public var items, jointsCounted: Int

        /// Parses a `step` row (nil if a cell does not parse).
        init?(cells c: [String]) {
            guard c.count == MetricsLog.columns.count, let e = Int(c[1]), let s = Int(c[2]), let i = Int(c[3]),
                  let lr = Double(c[4]), let l = Double(c[5]), let a = Double(c[6]), let bt = Double(c[7]), let dt = Double(c[8]),
                  let sp = Double(c[9]), let n = Int(c[15]), let jc = Int(c[16]) else { return nil }
            self.init(epoch: e, step: s, iter: i, lr: lr, loss: l, accuracy: a, batchTime: bt, dataTime: dt, samplesPerSecond: sp,
                      items: n, jointsCounted: jc)
        }

        init(epoch: Int, step: Int, iter: Int, lr: Double, loss: Double, accuracy: Double, batchTime: Double, dataTime: Double,
             samplesPerSecond: Double, items: Int, jointsCounted: Int) {
            self.epoch = epoch; self.step = step; self.iter = iter; self.lr = lr; self.loss = loss; self.accuracy = accuracy
            self.batchTime = batchTime; self.dataTime = dataTime; self.samplesPerSecond = samplesPerSecond
            self.items = items; self.jointsCounted = jointsCounted
        }
    }

    /// Step rows of `epoch` kept from before a resume.
    func rows(epoch: Int) -> [StepRow] { kept.filter { $0.epoch == epoch } }

    public func write(_ r: StepRow) {
        append(["step", "\(r.epoch)", "\(r.step)", "\(r.iter)", "\(r.lr)", "\(r.loss)", "\(r.accuracy)",
                "\(r.batchTime)", "\(r.dataTime)", "\(r.samplesPerSecond)", "", "", "", "", "", "\(r.items)", "\(r.jointsCounted)", "", "", ""])
    }

    /// The epoch summary: training means, and validation figures when there was a validation pass.
    public func writeEpoch(epoch: Int, step: Int, lr: Double, loss: Double, accuracy: Double, validation: ValidationResult?) {
        let v = validation
        let t = v?.pckh?.table
        func cell(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        append(["epoch", "\(epoch)", "\(step)", "", "\(lr)", "\(loss)", "\(accuracy)", "", "", "",
                cell(v?.loss), cell(v?.accuracy), cell(t?.mean), cell(t?.meanAt0_1), cell(t?.meanAt0_11), "", "",
                cell(v?.coco?.eval?.stats[0] ?? v?.coco?.pck.map { $0.mean / 100 }), cell(v?.coco?.eval?.stats[1]), cell(v?.coco?.eval?.stats[5])])
    }

    private func append(_ cells: [String]) {
        handle.write(Data((cells.joined(separator: ",") + "\n").utf8))
    }

    /// Reads the rows back (for the curves picture and tests): each row as column → value.
    public static func read(path: String) throws -> [[String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TrainingError("\(path): cannot be read") }
        var rows: [[String: String]] = []
        for line in text.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == columns.count else { throw TrainingError("\(path): row '\(line)' has \(cells.count) cells, expected \(columns.count)") }
            rows.append(Dictionary(uniqueKeysWithValues: zip(columns, cells)))
        }
        return rows
    }
}

extension AtomicFile {
    static func writeText(_ text: String, to path: String) throws { try write(Data(text.utf8), to: path) }
}
