import Benchmarks
import ExperimentConfig
import Foundation
import GoldenFiles
import PoseData
import XCTest

/// `hrprep bench-coco` compares like with like: its COCO-format data set holds the MPII data set's
/// pictures and people, and gives the same crops (center and scale) and joints, also for the
/// fixture's people whose MPII square crosses the picture's edge (7 of its 12).
final class COCOBuildBenchmarkTests: XCTestCase {
    func testTheCOCOTwinHoldsTheSamePeopleCropsAndJoints() throws {
        let work = try TemporaryFolder("bench-coco")
        defer { work.remove() }
        var bench = COCOBuildBenchmark(config: ExperimentConfig(), root: Golden.path("fixture"), work: work.path)
        bench.copies = 2
        let roots = try bench.makeDatasets()
        let mpii = try MPIIAnnotations.parse(
            Data(contentsOf: URL(fileURLWithPath: roots.mpii + "/annot/train.json")), file: "train.json", hasJoints: true)
        let file = try COCOKeypointFile.load(path: roots.coco + "/annotations/person_keypoints_train2017.json")
        let coco = file.groundTruthRecords(aspectRatio: 1)
        XCTAssertEqual(mpii.count, 2 * 12, "each of the 12 fixture images twice, one person each")
        XCTAssertEqual(coco.map(\.image), mpii.map(\.image), "every person kept, in the same order")
        XCTAssertEqual(file.description.skeleton.flipPairs.map { [$0.0, $0.1] },
                       Skeleton.mpii.flipPairs.map { [$0.0, $0.1] }, "MPII's flip pairs, found by name")
        for (m, c) in zip(mpii, coco) {
            let visible = m.jointsVis.indices.filter { m.jointsVis[$0].x > 0 }
            XCTAssertEqual(visible.map { c.joints[$0] }, visible.map { m.joints[$0] }, m.image)
            XCTAssertEqual(c.jointsVis.map(\.x), m.jointsVis.map(\.x), m.image)
            // The same crop: COCO's float32 center and scale against MPII's float64 ones.
            XCTAssertEqual(c.center.x, m.center.x, accuracy: 1e-4, m.image)
            XCTAssertEqual(c.center.y, m.center.y, accuracy: 1e-4, m.image)
            XCTAssertEqual(c.scale.x, m.scale.x, accuracy: 1e-6 * m.scale.x, m.image)
            XCTAssertEqual(c.scale.y, m.scale.y, accuracy: 1e-6 * m.scale.y, m.image)
        }
    }
}
