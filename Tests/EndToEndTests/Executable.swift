import Foundation
import XCTest

/// Runs the built executables (`hrprep`, `hrnet-train`), which SwiftPM puts in the same folder as
/// the test bundle (`.build/<config>/`).
enum Executable {
    /// Candidates: the folder of the test runner binary (Linux: `hrprepPackageTests.xctest` is
    /// the executable) and the folder around the bundle (macOS: a `.xctest` directory).
    static func path(_ name: String) -> String? {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let bundle = Bundle(for: Probe.self).bundleURL
        for folder in [runner, bundle, bundle.deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private final class Probe {}

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `name` with `arguments` to completion; `via` is a command line that starts it (e.g.
    /// `fileSizeLimit(kilobytes:)` or `setpriv …`), the path of `name` and `arguments` appended.
    /// `environment` entries are added to the test's own.
    static func run(_ name: String, _ arguments: [String], via: [String] = [], environment: [String: String] = [:]) throws -> Run {
        let process = try start(name, arguments, via: via, environment: environment)
        let out = process.stdout.fileHandleForReading.readDataToEndOfFile()
        let err = process.stderr.fileHandleForReading.readDataToEndOfFile()
        process.process.waitUntilExit()
        return Run(status: process.process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                   stderr: String(decoding: err, as: UTF8.self))
    }

    /// A `via` that runs the command under a file-size limit (RLIMIT_FSIZE, set by dash's `ulimit -f`
    /// in 512-byte blocks): writes past `kilobytes` fail with EFBIG, as writes to a full disk fail.
    static func fileSizeLimit(kilobytes: Int) -> [String] {
        ["/bin/sh", "-c", "ulimit -f \(2 * kilobytes) && exec \"$0\" \"$@\""]
    }

    /// Starts `name` without waiting (output collected through the pipes).
    static func start(_ name: String, _ arguments: [String], via: [String] = [], environment: [String: String] = [:])
        throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
        guard let path = path(name) else { throw XCTSkip("\(name) is not built next to the tests (run `swift build` first)") }
        let process = Process()
        let command = via + [path] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }
}
