import Foundation

/// Where a run talks: lines go to standard output and to `<run>/train.log`; on a terminal a
/// one-line progress bar is redrawn on standard error between them (never written to the log).
public final class ConsoleLog {
    private let file: FileHandle?
    private let bar: Bool
    private var barShown = false

    private let quiet: Bool

    /// `logPath` nil: standard output only. `progressBar`: draw the bar (only when stderr is a
    /// terminal). `quiet`: say nothing (the ranks other than 0 of a data-parallel run).
    public init(logPath: String?, progressBar: Bool = true, quiet: Bool = false) {
        self.quiet = quiet
        if let logPath {
            if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
            file = FileHandle(forWritingAtPath: logPath)
            file?.seekToEndOfFile()
        } else {
            file = nil
        }
        bar = progressBar && isatty(STDERR_FILENO) != 0
    }

    public func line(_ text: String) {
        guard !quiet else { return }
        clearBar()
        print(text)
        fflush(stdout)
        file?.write(Data((text + "\n").utf8))
    }

    /// `[=====>      ]  12/40  loss 0.00123  acc 0.456` on standard error, redrawn in place.
    public func progress(done: Int, total: Int, suffix: String) {
        guard bar, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let head = filled < width ? ">" : ""
        let text = "[" + String(repeating: "=", count: filled) + head + String(repeating: " ", count: max(0, width - filled - head.count)) + "] \(done)/\(total)  " + suffix
        FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
        barShown = true
    }

    private func clearBar() {
        if barShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); barShown = false }
    }
}

/// The reference's `AverageMeter`: the last value and the running mean weighted by `n`.
public struct AverageMeter: Sendable {
    public private(set) var value = 0.0
    public private(set) var sum = 0.0
    public private(set) var count = 0.0
    public init() {}
    public var average: Double { count != 0 ? sum / count : 0 }
    public mutating func update(_ v: Double, _ n: Double = 1) { value = v; sum += v * n; count += n }
}

/// Fixed-decimal formatting for log lines (`{:.3f}` of the reference).
func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
