import ExperimentConfig
import Foundation
import GoldenFiles
import ShardBuild
import Shards

/// Builds from the golden fixture (Tests/GoldenFiles/Golden/fixture: 16 train and 8 valid
/// records on 12 images) into fresh temporary folders.
enum FixtureBuild {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let root = Golden.path("fixture")

    static func config() throws -> ExperimentConfig {
        try ExperimentConfig.load(path: repo + "/experiments/mpii/w32_256x256_adam_lr1e-3.yaml")
    }

    static func temporaryFolder(_ tag: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)").path
    }

    static func options(set: String = "train", out: String? = nil, root: String = root, augEpochs: Int = 1,
                        perShard: Int = 7, threads: Int = 1) throws -> BuildOptions {
        var o = BuildOptions(config: try config(), root: root, set: set, out: out ?? temporaryFolder("build"))
        o.augEpochs = augEpochs
        o.samplesPerShard = perShard
        o.threads = threads
        o.seed = 3
        return o
    }

    static func shardFiles(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix(".safetensors") {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    /// A copy of the fixture (annotations and images) that a test may damage.
    static func copyOfFixture() throws -> String {
        let dir = temporaryFolder("fixture")
        try FileManager.default.copyItem(atPath: root, toPath: dir)
        return dir
    }
}
