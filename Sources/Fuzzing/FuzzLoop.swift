import Foundation

/// What one bounded fuzz run did.
public struct FuzzReport: Sendable {
    public let target: String
    public let iterations: Int
    public let seconds: Double
}

/// Runs a target on mutated inputs until `iterations` or `seconds` run out, whichever is first.
/// Before each input runs, a crash handler is armed with it: on SIGSEGV/SIGBUS/SIGILL/SIGTRAP/
/// SIGABRT/SIGFPE the input is written to `crashDirectory/<target>-seed<S>-<iteration>.bin` (with
/// async-signal-safe calls only) and the process exits with status 86.
public enum FuzzLoop {
    public static func run(_ target: FuzzTarget, seed: UInt64, iterations: Int = .max, seconds: Double,
                           crashDirectory: String) -> FuzzReport {
        var mutator = Mutator(seed: seed)
        let start = Date()
        var corpus = target.seeds
        var done = 0
        CrashCapture.install()
        while done < iterations, done % 64 != 0 || Date().timeIntervalSince(start) < seconds {
            let base = corpus[mutator.below(corpus.count)]
            let input = mutator.mutate(base, seeds: target.seeds, tokens: target.tokens)
            CrashCapture.arm(input, path: crashDirectory + "/\(target.name)-seed\(seed)-\(done).bin")
            target.run(input)
            // Keep some mutants as bases, so mutations pile up (bounded, oldest replaced).
            if mutator.below(8) == 0 {
                if corpus.count < 256 {
                    corpus.append(input)
                } else {
                    corpus[target.seeds.count + mutator.below(256 - target.seeds.count)] = input
                }
            }
            done += 1
        }
        CrashCapture.disarm()
        return FuzzReport(target: target.name, iterations: done, seconds: Date().timeIntervalSince(start))
    }

    /// Runs `target` once on `input` (a kept crash, replayed as a regression).
    public static func replay(_ target: FuzzTarget, _ input: [UInt8]) { target.run(input) }
}

/// The input being run, kept where a signal handler can write it out.
enum CrashCapture {
    nonisolated(unsafe) static var bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    nonisolated(unsafe) static var count = 0
    nonisolated(unsafe) static var capacity = 1
    nonisolated(unsafe) static var path = UnsafeMutablePointer<CChar>.allocate(capacity: 4096)

    static let signals = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE]
    /// The handlers in place before `install` (XCTest's, for one), put back by `disarm`.
    nonisolated(unsafe) static var previous: [sighandler_t?] = []

    static func install() {
        previous = signals.map { signal($0, crashHandler) }
    }

    static func arm(_ input: [UInt8], path p: String) {
        if input.count > capacity {
            bytes.deallocate()
            capacity = input.count * 2
            bytes = .allocate(capacity: capacity)
        }
        if let base = input.withUnsafeBufferPointer({ $0.baseAddress }), !input.isEmpty {
            input.withUnsafeBufferPointer { bytes.update(from: $0.baseAddress ?? base, count: $0.count) }
        }
        count = input.count
        let utf8 = Array(p.utf8.prefix(4095)).map { CChar(bitPattern: $0) } + [0]
        path.update(from: utf8, count: utf8.count)
    }

    static func disarm() {
        for (s, handler) in zip(signals, previous) { signal(s, handler) }
    }
}

private func crashHandler(_ signal: Int32) {
    let fd = open(CrashCapture.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd >= 0 {
        _ = write(fd, CrashCapture.bytes, CrashCapture.count)
        close(fd)
    }
    let note: StaticString = "hrprep-fuzz: crash; input written to "
    _ = write(2, note.utf8Start, note.utf8CodeUnitCount)
    _ = write(2, CrashCapture.path, strlen(CrashCapture.path))
    _ = write(2, "\n", 1)
    _exit(86)
}
