import GoldenFiles
import XCTest

/// `HRNET_CONV` from the command line: an unknown algorithm is refused at start naming the
/// variable, and `benchmark conv` times every 3×3 shape under each algorithm and says which one
/// `auto` runs (Winograd on the larger layers, im2col on the tiny network's thin ones).
final class ConvAlgorithmEndToEndTests: XCTestCase {
    func testUnknownAlgorithmIsRefusedNamingTheVariable() throws {
        let run = try Executable.run("hrnet-train", ["--help"], environment: ["HRNET_CONV": "fft"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr, """
            error: HRNET_CONV=fft: unknown algorithm (one of: auto, im2col, winograd, winograd2, winograd4)

            """)
    }

    func testConvBenchmarkComparesTheAlgorithmsPerShape() throws {
        let config = Golden.path("hrnet_tiny/config.yaml")  // 64×64 input: branches at 16², 8², 4², 2²
        let run = try Executable.run("hrnet-train", ["benchmark", "conv", "--config", config, "--batch", "2",
                                                     "--runs", "1", "--threads", "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.contains("im2col") && $0.contains("winograd2") && $0.contains("winograd4") })
        // Rows: "Cin>Cout @ HxW  layers  ... auto"; Winograd where ≥ 8×8 and ≥ 2²⁰ multiply-adds per image.
        let rows = lines.filter { $0.first?.isNumber == true }
        var shapes: [String] = []
        for row in rows {
            let fields = row.split(whereSeparator: { $0 == " " || $0 == ">" || $0 == "@" || $0 == "x" })
            let (cin, cout, h, w) = (Int(fields[0])!, Int(fields[1])!, Int(fields[2])!, Int(fields[3])!)
            shapes.append("\(cin)>\(cout)@\(h)")
            let winograd = min(h, w) >= 8 && 9 * cin * cout * h * w >= 1 << 20
            XCTAssertTrue(row.hasSuffix(winograd ? "winograd2" : "im2col"), row)
        }
        XCTAssertEqual(shapes, ["64>64@16", "256>8@16", "8>8@16", "16>16@8", "32>32@4", "64>64@2"], run.stdout)
        XCTAssertTrue(lines.last?.hasPrefix("network's layers, forward + backward ms: im2col ") == true, run.stdout)
    }
}
