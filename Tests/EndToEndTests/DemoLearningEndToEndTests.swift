import Foundation
import XCTest

/// The demo's claim, checked as the demo runs it: the tiny config (experiments/mpii/w8_128x128_tiny.yaml)
/// trained on the fixture's 17 people learns — the epoch loss falls well below the loss of an
/// untrained network (whose maps are near zero) and the PCKh on the 6 validation people, which it
/// never trains on, rises far above the 0–2% an untrained network scores. Fewer epochs than
/// `make demo` (24 of the config's 48), two threads, seed 0.
final class DemoLearningEndToEndTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let config = repo + "/experiments/mpii/w8_128x128_tiny.yaml"

    private var folder = ""
    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testTinyConfigLearnsTheFixture() throws {
        for (set, extra) in [("train", ["--aug-epochs", "16", "--seed", "1"]), ("valid", [])] {
            let built = try Executable.run("hrprep", ["build-shards", "--config", Self.config, "--root", Self.repo + "/fixtures/mpii",
                                                      "--set", set, "--out", folder + "/" + set, "--threads", "2"] + extra)
            XCTAssertEqual(built.status, 0, built.stderr)
        }
        let run = try Executable.run("hrnet-train", ["train", "--config", Self.config, "--shards", folder + "/train",
                                                     "--valid-shards", folder + "/valid", "--out", folder + "/run",
                                                     "--epochs", "24", "--threads", "2", "--no-progress"])
        XCTAssertEqual(run.status, 0, run.stderr)

        let text = try String(contentsOfFile: folder + "/run/metrics.csv", encoding: .utf8)
        let rows = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try XCTUnwrap(rows.first)
        let epochs = rows.filter { $0.first == "epoch" }
        XCTAssertEqual(epochs.count, 24)
        let lossColumn = try XCTUnwrap(header.firstIndex(of: "loss")), pckhColumn = try XCTUnwrap(header.firstIndex(of: "pckh_mean"))
        let loss = epochs.map { Double($0[lossColumn])! }, pckh = epochs.map { Double($0[pckhColumn])! }
        let late = loss.suffix(4).reduce(0, +) / 4
        XCTAssertLessThan(late, 0.7 * loss[0], "epoch losses \(loss)")
        XCTAssertLessThan(pckh[0], 10, "an untrained network scores near 0: \(pckh)")
        XCTAssertGreaterThan(pckh.suffix(4).max()!, 20, "validation PCKh means \(pckh)")
        print("tiny config, 24 epochs: loss \(loss[0]) -> \(late) (mean of the last 4), validation PCKh \(pckh[0]) -> \(pckh.suffix(4))")
    }
}
