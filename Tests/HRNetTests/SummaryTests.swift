import ExperimentConfig
import Foundation
import GoldenFiles
import HRNet
import XCTest

final class SummaryTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The published W32 figures (issue 4): 28,536,080 parameters, 10.19 G multiply-adds at 256×256.
    func testW32Figures() throws {
        let config = try ExperimentConfig.load(path: Self.repository + "/experiments/mpii/w32_256x256_adam_lr1e-3.yaml")
        let summary = try ModelSummary(model: config.model)
        XCTAssertEqual(summary.parameters, 28_536_080)
        XCTAssertEqual(Double(summary.multiplyAdds) / 1e9, 10.19, accuracy: 0.005)
        XCTAssertEqual(summary.rows.first?.block, "stem")
        XCTAssertEqual(summary.rows.last?.block, "final_layer")
        XCTAssertEqual(summary.rows.map(\.block).filter { $0.hasPrefix("stage3.") }, ["stage3.0", "stage3.1", "stage3.2", "stage3.3"])
        XCTAssertTrue(summary.table.contains("28,536,080"), summary.table)
        XCTAssertTrue(summary.table.contains("10.19 G"), summary.table)
    }

    /// The tiny golden network: the reference counts 544,496 parameters; the summary and the model agree.
    func testTinyParameterCount() throws {
        let config = try ExperimentConfig.load(path: Golden.path("hrnet_tiny/config.yaml"))
        XCTAssertEqual(try ModelSummary(model: config.model).parameters, 544_496)
        XCTAssertEqual(try HRNetModel(config: config, batchSize: 1).parameterCount, 544_496)
    }

    func testRefusesInconsistentConfig() throws {
        var config = try ExperimentConfig.load(path: Golden.path("hrnet_tiny/config.yaml"))
        config.model.heatmapSize = [32, 32]
        XCTAssertThrowsError(try ModelSummary(model: config.model)) { XCTAssertTrue("\($0)".contains("HEATMAP_SIZE"), "\($0)") }
        config.model.heatmapSize = [16, 16]
        config.model.extra.stage3.numChannels = [8, 16]
        XCTAssertThrowsError(try ModelSummary(model: config.model)) { XCTAssertTrue("\($0)".contains("STAGE3"), "\($0)") }
    }
}
