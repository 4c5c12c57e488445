import Foundation
import ExperimentConfig
import GoldenFiles
import HRNet
import XCTest

/// hrnet-train's command line: one subcommand per mode (train, evaluate, benchmark [network | gemm],
/// summary), and the spellings from before the subcommands refused with the command line that now
/// does the same run.
final class TrainCommandLineTests: XCTestCase {
    static let tiny = Golden.path("hrnet_tiny/config.yaml")

    func testOldSpellingsAreRefusedWithTheNewCommandLine() throws {
        let cases: [(old: [String], new: String)] = [
            (["--config", "c.yaml", "--shards", "s", "--out", "o", "--batch", "4"],
             "hrnet-train train --config c.yaml --shards s --out o --batch 4"),
            (["--evaluate", "--config", "c.yaml", "--weights", "w.safetensors", "--valid-shards", "v", "--out", "e"],
             "hrnet-train evaluate --config c.yaml --weights w.safetensors --valid-shards v --out e"),
            (["--print-summary", "--config", "c.yaml"], "hrnet-train summary --config c.yaml"),
            (["gemm-benchmark", "--runs", "5", "--openblas"], "hrnet-train benchmark gemm --runs 5 --openblas"),
            (["--config", "my runs/c.yaml", "--shards", "it's"], #"hrnet-train train --config 'my runs/c.yaml' --shards 'it'\''s'"#),
        ]
        for (old, new) in cases {
            let run = try Executable.run("hrnet-train", old)
            XCTAssertEqual(run.status, 64, "\(old): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("takes its mode as a subcommand"), run.stderr)
            XCTAssertTrue(run.stderr.contains("\n  " + new + "\n"), "\(old) should name `\(new)`:\n\(run.stderr)")
            XCTAssertEqual(run.stdout, "", "nothing runs")
        }
    }

    func testHelpListsTheModes() throws {
        let run = try Executable.run("hrnet-train", ["--help"])
        XCTAssertEqual(run.status, 0, run.stderr)
        for mode in ["train", "evaluate", "benchmark", "summary"] {
            XCTAssertTrue(run.stdout.contains("\n  \(mode) "), "\(mode) missing from\n\(run.stdout)")
        }
        let bare = try Executable.run("hrnet-train", [])
        XCTAssertEqual(bare.status, 0, bare.stderr)
        XCTAssertTrue(bare.stdout.contains("SUBCOMMANDS"), bare.stdout)
    }

    /// `benchmark` without a mode times the network (as `benchmark network` does); the last line
    /// is its JSON object.
    func testBenchmarkNetworkIsTheDefault() throws {
        for mode in [[], ["network"]] {
            let run = try Executable.run("hrnet-train", ["benchmark"] + mode + ["--config", Self.tiny, "--batch", "2", "--steps", "1",
                                                                                "--warmup", "0", "--threads", "1"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let last = try XCTUnwrap(run.stdout.split(separator: "\n").last)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
            XCTAssertEqual(json["mode"] as? String, "train")
            XCTAssertEqual(json["batch"] as? Int, 2)
            XCTAssertEqual(json["steps"] as? Int, 1)
        }
    }

    func testBenchmarkGEMMPrintsThePeak() throws {
        let run = try Executable.run("hrnet-train", ["benchmark", "gemm", "--peak-only", "--runs", "1", "--threads", "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let last = try XCTUnwrap(run.stdout.split(separator: "\n").last)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(json["gemm_peak_gflops_per_s"] as? Double), 0)
        XCTAssertEqual(json["threads"] as? Int, 1)
    }

    /// `summary`: the table of `ModelSummary` for the tiny network, as the library makes it.
    func testSummaryPrintsTheTable() throws {
        let run = try Executable.run("hrnet-train", ["summary", "--config", Self.tiny])
        XCTAssertEqual(run.status, 0, run.stderr)
        let table = try ModelSummary(model: ExperimentConfig.load(path: Self.tiny).model).table
        XCTAssertEqual(run.stdout, table + "\n")
        XCTAssertTrue(table.contains("final_layer"), table)
    }
}
