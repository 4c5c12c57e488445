import Foundation
import Yams

/// A configuration file that cannot be used; names the file and the key.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let key: String
    public let problem: String
    public var description: String { key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)" }
}

extension ExperimentConfig {
    /// Keys the reference knows but that have no effect here (GPU, cuDNN, debug dumps; NMS_THRE
    /// and BBOX_THRE, which the reference's COCO code reads but never uses). They are accepted, like
    /// the reference does, and ignored.
    static let ignoredKeys: Set<String> = [
        "GPUS", "CUDNN", "PIN_MEMORY", "RANK", "DEBUG",
        "MODEL.STYLE", "TEST.NMS_THRE", "TEST.BBOX_THRE",
    ]
    /// Sections whose keys are open (`new_allowed` in the reference): keys we do not model are kept out.
    static let openSections: Set<String> = ["MODEL.EXTRA"]

    /// Reads a reference-format experiment YAML.
    public static func load(path: String) throws -> ExperimentConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, key: "", problem: "cannot be read (\(error.localizedDescription))")
        }
        return try ExperimentConfig(yaml: text, source: path)
    }

    /// Parses YAML text; `source` names it in errors. Values override the reference defaults.
    public init(yaml: String, source: String = "<yaml>") throws {
        let loaded: Any?
        do {
            if let node = try Yams.compose(yaml: yaml) { try Self.checkKeys(node, path: "", source: source) }
            loaded = try Yams.load(yaml: yaml)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: source, key: "", problem: "is not valid YAML (\(error))")
        }
        guard let root = loaded as? [String: Any] else {
            throw ConfigError(file: source, key: "", problem: "top level is not a mapping of keys")
        }
        let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ExperimentConfig())) as! [String: Any]
        let merged = try Self.overlay(root, on: defaults, path: "", source: source)
        do {
            self = try JSONDecoder().decode(ExperimentConfig.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let error as DecodingError {
            if case .dataCorrupted(let ctx) = error, ctx.codingPath.isEmpty,
               let (key, value) = Self.unfittingValue(root, defaults: defaults, source: source) {
                throw ConfigError(file: source, key: key, problem: "expected a whole number, found \(value)")
            }
            throw Self.describe(error, source: source)
        }
        try validate(source: source)
    }

    /// Puts the YAML mapping over the defaults, refusing keys the reference does not know.
    private static func overlay(_ yaml: [String: Any], on base: [String: Any], path: String, source: String) throws -> [String: Any] {
        var out = base
        for (key, value) in yaml {
            let full = path.isEmpty ? key : path + "." + key
            if ignoredKeys.contains(full) { continue }
            guard let current = base[key] else {
                if openSections.contains(path) { continue }
                throw ConfigError(file: source, key: full, problem: "unknown key (the reference config has no such option)")
            }
            if let nested = current as? [String: Any] {
                guard let sub = value as? [String: Any] else {
                    throw ConfigError(file: source, key: full, problem: "expected a mapping of keys, found \(describe(value))")
                }
                out[key] = try overlay(sub, on: nested, path: full, source: source)
            } else {
                try checkValue(value, key: full, source: source)
                out[key] = value
            }
        }
        return out
    }

    /// Yams force-unwraps every mapping key as a string when it builds values: a key that is itself a
    /// mapping or a list (`? a: b`, `[a]: 1`) would crash the process (found by `make fuzz`), so the
    /// composed tree is checked first and such a key refused by where it is.
    private static func checkKeys(_ node: Node, path: String, source: String) throws {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let name) = key else {
                    let kind: String
                    switch key { case .mapping: kind = "mapping"; case .sequence: kind = "list"; default: kind = "alias" }
                    throw ConfigError(file: source, key: path, problem: "a key is a \(kind), not a name (line \(key.mark?.line ?? 0))")
                }
                try checkKeys(value, path: path.isEmpty ? name.string : path + "." + name.string, source: source)
            }
        case .sequence(let items):
            for (i, item) in items.enumerated() { try checkKeys(item, path: "\(path)[\(i)]", source: source) }
        case .scalar, .alias:
            return
        }
    }

    /// The YAML value the typed decode cannot hold, found by decoding the defaults with one YAML
    /// value at a time: JSONDecoder reports a number that does not fit an Int field (16.5, 1e30) as
    /// "not valid JSON" with no key. Only called once a decode has failed.
    private static func unfittingValue(_ yaml: [String: Any], defaults: [String: Any], source: String) -> (String, Any)? {
        func leaves(_ map: [String: Any], _ prefix: [String]) -> [([String], Any)] {
            map.flatMap { key, value in
                (value as? [String: Any]).map { leaves($0, prefix + [key]) } ?? [(prefix + [key], value)]
            }
        }
        for (path, value) in leaves(yaml, []) {
            let single = path.dropLast().reversed().reduce([path.last!: value] as [String: Any]) { [$1: $0] }
            guard let merged = try? overlay(single, on: defaults, path: "", source: source),
                  let json = try? JSONSerialization.data(withJSONObject: merged) else { continue }
            if (try? JSONDecoder().decode(ExperimentConfig.self, from: json)) == nil { return (path.joined(separator: "."), value) }
        }
        return nil
    }

    /// A value must survive the trip through JSON to the typed config: finite numbers, strings,
    /// booleans, null and lists of those. YAML can say more (`.nan`, `.inf`, timestamps, binary,
    /// mappings in place of a value), which JSONSerialization would refuse without naming the key.
    private static func checkValue(_ value: Any, key: String, source: String) throws {
        switch value {
        case let d as Double where !d.isFinite:
            throw ConfigError(file: source, key: key, problem: "expected a finite number, found \(d)")
        case let list as [Any]:
            for (i, item) in list.enumerated() { try checkValue(item, key: "\(key)[\(i)]", source: source) }
        case is String, is Int, is Double, is Bool, is NSNull:
            return
        default:
            throw ConfigError(file: source, key: key, problem: "expected a number, a string, a boolean or a list, found \(describe(value))")
        }
    }

    private static func describe(_ value: Any) -> String {
        switch value {
        case is String: return "a string"
        case is [Any]: return "a list"
        case is [String: Any]: return "a mapping"
        default: return "'\(value)'"
        }
    }

    private static func describe(_ error: DecodingError, source: String) -> ConfigError {
        func key(_ path: [CodingKey]) -> String {
            path.reduce("") { key, part in
                if let i = part.intValue { return key + "[\(i)]" }
                return key.isEmpty ? part.stringValue : key + "." + part.stringValue
            }
        }
        switch error {
        case .typeMismatch(let type, let ctx):
            return ConfigError(file: source, key: key(ctx.codingPath), problem: "expected a value of type \(type)")
        case .valueNotFound(let type, let ctx):
            return ConfigError(file: source, key: key(ctx.codingPath), problem: "missing value of type \(type)")
        case .keyNotFound(let k, let ctx):
            return ConfigError(file: source, key: key(ctx.codingPath + [k]), problem: "missing key")
        case .dataCorrupted(let ctx):
            return ConfigError(file: source, key: key(ctx.codingPath), problem: ctx.debugDescription)
        @unknown default:
            return ConfigError(file: source, key: "", problem: "\(error)")
        }
    }

    /// Checks the relations between values that the reference would only trip over later.
    func validate(source: String) throws {
        func check(_ ok: Bool, _ key: String, _ problem: String) throws {
            if !ok { throw ConfigError(file: source, key: key, problem: problem) }
        }
        try check(model.imageSize.count == 2 && model.imageSize.allSatisfy { $0 > 0 }, "MODEL.IMAGE_SIZE", "expected two positive integers [width, height], found \(model.imageSize)")
        try check(model.heatmapSize.count == 2 && model.heatmapSize.allSatisfy { $0 > 0 }, "MODEL.HEATMAP_SIZE", "expected two positive integers [width, height], found \(model.heatmapSize)")
        try check(model.numJoints > 0, "MODEL.NUM_JOINTS", "must be positive, found \(model.numJoints)")
        try check(model.sigma > 0, "MODEL.SIGMA", "must be positive, found \(model.sigma)")
        try check(train.batchSizePerGPU > 0, "TRAIN.BATCH_SIZE_PER_GPU", "must be positive, found \(train.batchSizePerGPU)")
        try check(test.batchSizePerGPU > 0, "TEST.BATCH_SIZE_PER_GPU", "must be positive, found \(test.batchSizePerGPU)")
        try check(train.lr > 0, "TRAIN.LR", "must be positive, found \(train.lr)")
        try check(train.beginEpoch >= 0 && train.endEpoch >= train.beginEpoch, "TRAIN.END_EPOCH",
                  "expected 0 <= BEGIN_EPOCH <= END_EPOCH, found \(train.beginEpoch) and \(train.endEpoch)")
        try check(dataset.scaleFactor >= 0, "DATASET.SCALE_FACTOR", "must not be negative, found \(dataset.scaleFactor)")
        try check(dataset.rotFactor >= 0, "DATASET.ROT_FACTOR", "must not be negative, found \(dataset.rotFactor)")
        try check(workers >= 0, "WORKERS", "must not be negative, found \(workers)")
        try check(["jpg", "zip"].contains(dataset.dataFormat), "DATASET.DATA_FORMAT", "expected jpg or zip, found '\(dataset.dataFormat)'")
        try check(["adam", "sgd"].contains(train.optimizer), "TRAIN.OPTIMIZER", "expected adam or sgd, found '\(train.optimizer)'")
        for (k, stage) in model.extra.stages.enumerated() {
            let name = "MODEL.EXTRA.STAGE\(k + 2)"
            try check(stage.numBranches == k + 2, name + ".NUM_BRANCHES", "stage \(k + 2) of HRNet has \(k + 2) branches, found \(stage.numBranches)")
            try check(stage.numBlocks.count == stage.numBranches, name + ".NUM_BLOCKS", "expected \(stage.numBranches) entries, found \(stage.numBlocks.count)")
            try check(stage.numChannels.count == stage.numBranches, name + ".NUM_CHANNELS", "expected \(stage.numBranches) entries, found \(stage.numChannels.count)")
            try check(stage.numModules > 0 && stage.numBlocks.allSatisfy { $0 > 0 } && stage.numChannels.allSatisfy { $0 > 0 }, name, "module, block and channel counts must be positive")
            try check(stage.fuseMethod == "SUM", name + ".FUSE_METHOD", "only SUM is defined by the reference, found '\(stage.fuseMethod)'")
        }
        try check([1, 3].contains(model.extra.finalConvKernel), "MODEL.EXTRA.FINAL_CONV_KERNEL", "expected 1 or 3, found \(model.extra.finalConvKernel)")
    }
}
