import Foundation

/// Build progress on stderr: on a terminal a one-line bar redrawn in place
/// (`[#####-----]  41%  4100/10000 samples  812.3 samples/s  ETA 0:07`), otherwise a plain line
/// every `plainInterval` seconds, so logs stay readable. Rate = samples done / seconds elapsed.
public final class ProgressDisplay {
    public enum Style { case bar, lines, silent }
    private let style: Style
    private let total: Int
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let barInterval = 0.2, plainInterval: Double
    private var drewBar = false

    /// `style` nil: a bar when stderr is a terminal, plain lines otherwise.
    public init(total: Int, style: Style? = nil, plainInterval: Double = 10) {
        self.total = total
        self.style = style ?? (isatty(STDERR_FILENO) != 0 ? .bar : .lines)
        self.plainInterval = plainInterval
    }

    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Reports `done` samples of `total` (rate-limited; call as often as you like).
    public func update(done: Int) {
        let now = Date()
        switch style {
        case .silent: return
        case .bar:
            guard now.timeIntervalSince(lastDraw) >= barInterval || done == total else { return }
            lastDraw = now
            let fraction = total > 0 ? Double(done) / Double(total) : 1
            let filled = Int(fraction * 30)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
            FileHandle.standardError.write(
                Data("\r[\(bar)] \(Self.line(done: done, total: total, elapsed: elapsed))\u{1B}[K".utf8))
            drewBar = true
        case .lines:
            guard now.timeIntervalSince(lastDraw) >= plainInterval else { return }
            if lastDraw == .distantPast { lastDraw = now; return }
            lastDraw = now
            FileHandle.standardError.write(
                Data("progress: \(Self.line(done: done, total: total, elapsed: elapsed))\n".utf8))
        }
    }

    /// Ends the bar's line.
    public func finish() {
        if drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// `41%  4100/10000 samples  812.3 samples/s  ETA 0:07`.
    static func line(done: Int, total: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let percent = total > 0 ? 100 * done / total : 100
        let eta = rate > 0 ? Double(total - done) / rate : 0
        return "\(percent)%  \(done)/\(total) samples  \(String(format: "%.1f", rate)) samples/s  ETA \(duration(eta))"
    }

    /// `h:mm:ss` or `m:ss`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let (h, m, r) = (s / 3600, (s % 3600) / 60, s % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }
}
