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

    /// Runs `name` with `arguments` to completion.
    static func run(_ name: String, _ arguments: [String]) throws -> Run {
        let process = try start(name, arguments)
        let out = process.stdout.fileHandleForReading.readDataToEndOfFile()
        let err = process.stderr.fileHandleForReading.readDataToEndOfFile()
        process.process.waitUntilExit()
        return Run(status: process.process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                   stderr: String(decoding: err, as: UTF8.self))
    }

    /// Starts `name` without waiting (output collected through the pipes).
    static func start(_ name: String, _ arguments: [String]) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
        guard let path = path(name) else { throw XCTSkip("\(name) is not built next to the tests (run `swift build` first)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }
}
