import Foundation
import PoseData
import SafeTensors
import Shards

/// What a build did.
public struct BuildSummary: Sendable {
    public var samples = 0
    public var shards = 0
    public var bytes = 0
    public var seconds = 0.0
    public var skipped: [SkippedRecord] = []
    /// Shards kept from an interrupted run (resume), or all of them when the build was up to date.
    public var keptShards = 0
    public var upToDate = false
    /// Samples made by this run (excludes kept shards).
    public var madeSamples = 0
    /// The mean share of each image's area this run decoded (window decoding reads only the part
    /// the crops sample); nil when it decoded no image.
    public var decodedArea: Double?
    public var samplesPerSecond: Double { seconds > 0 ? Double(madeSamples) / seconds : 0 }

    /// `12000 samples in 6 shards, 5.51 GB, 14.2 s (845.1 samples/s)`, plus skips and reuse.
    public var description: String {
        if upToDate { return "up to date: \(samples) samples in \(shards) shards, \(Self.size(bytes)) (nothing to do)" }
        var s = "\(samples) samples in \(shards) shards, \(Self.size(bytes)), \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", samplesPerSecond)) samples/s)"
        if keptShards > 0 { s += "; \(keptShards) shards kept from the interrupted run" }
        if !skipped.isEmpty { s += "; \(skipped.count) records skipped (bad images, listed in the manifest)" }
        return s
    }

    public static func size(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GB", Double(bytes) / Double(1 << 30)) : String(format: "%.1f MB", Double(bytes) / Double(1 << 20))
    }
}

/// The build-shards job: annotation records × augmentation epochs → samples (PoseData) → shards
/// (Shards) and a manifest, with `threads` producers, a fixed sample order (see `BuildPlan`),
/// resume of an interrupted run, and the bad-image policy.
public enum ShardBuilder {
    public static func run(_ options: BuildOptions, progressStyle: ProgressDisplay.Style? = nil) throws -> BuildSummary {
        try options.validate()
        var options = options
        let (plan, annotationSHA) = try loadPlan(&options)
        if let part = options.part { return try PartBuilder.run(options, plan: plan, annotationSHA: annotationSHA, part: part, progressStyle: progressStyle) }
        let shardSet = options.shardSet(annotationSHA256: annotationSHA)
        let key = shardSet.buildKey
        let folder = OutputFolder(path: options.out)

        var journal = BuildJournal(buildKey: key)
        switch try folder.prepare(buildKey: key, overwrite: options.overwrite) {
        case .upToDate(let m):
            return BuildSummary(samples: m.totalSamples, shards: m.shards.count, bytes: m.shards.reduce(0) { $0 + $1.bytes },
                                skipped: m.skipped, keptShards: m.shards.count, upToDate: true)
        case .resume(let kept): journal = kept
        case .fresh: break
        }
        try? FileManager.default.removeItem(atPath: options.out + "/" + BuildJournal.file)
        if !journal.done.isEmpty { try journal.write(directory: options.out) }

        let layout = options.layout
        let encoder = SampleEncoder(layout: layout)
        let startPlanned = journal.done.last?.nextPlanned ?? 0
        let keptSamples = journal.done.reduce(0) { $0 + $1.shard.samples }
        let keptShards = journal.done.count
        let progress = ProgressDisplay(total: plan.plannedSamples, style: progressStyle)

        // Where each shard ends, noted when its last sample is appended (the finish callback
        // comes later, from the background finisher).
        var shardEnds: [Int: (nextPlanned: Int, skippedCount: Int)] = [:]
        let writer = ShardSequenceWriter(directory: options.out, layout: layout, samplesPerShard: options.resolvedSamplesPerShard,
                                         metadata: shardSet.shardMetadata, firstShard: journal.done.count, firstSample: keptSamples,
                                         concurrentFinishes: options.threads) { entry in
            let end = shardEnds.removeValue(forKey: entry.firstSample)!
            journal.done.append(.init(shard: entry, nextPlanned: end.nextPlanned, skippedCount: end.skippedCount))
            try journal.write(directory: options.out)
            try options.shardFinished?(entry)
        }

        let pool = UnitResultPool()
        let perShard = options.resolvedSamplesPerShard
        let firstUnit = startPlanned >= plan.plannedSamples ? plan.units.count : plan.unit(containing: startPlanned)
        let pipeline = OrderedPipeline<UnitResult>(first: firstUnit, count: plan.units.count, threads: options.threads,
                                                   window: 4 * options.threads + 4) {
            UnitProducer(plan: plan, options: options, encoder: encoder, pool: pool, skipBefore: startPlanned).produce
        }
        var made = 0, skippedPlanned = 0
        var decodedShares = 0.0, decodedImages = 0
        do {
            while let result = pipeline.next() {
                defer { pool.give(result) }
                let unit = plan.units[result.unit]
                if let bad = result.imageError {
                    guard options.onBadImage == .skip else { throw badImage(bad, unit: unit) }
                    journal.skipped += unit.records.map { SkippedRecord(record: $0, image: unit.image, reason: bad.problem) }
                    skippedPlanned += unit.records.count * plan.augEpochs
                    continue
                }
                if let share = result.decodedShare { decodedShares += share; decodedImages += 1 }
                for (k, p) in result.planned.enumerated() {
                    let base = result.buffer + k * encoder.sampleBytes
                    let global = keptSamples + made
                    if (global + 1) % perShard == 0 {
                        shardEnds[global + 1 - perShard] = (p + 1, journal.skipped.count)
                    }
                    // The images of the next samples as planned (exact unless a later image is skipped).
                    let upcoming = { (n: Int) in (p..<min(p + n, plan.plannedSamples)).map { plan.units[plan.unit(containing: $0)].image } }
                    try writer.append(imagePath: unit.image, upcoming: upcoming) { t in UnsafeRawPointer(base + encoder.offsets[t]) }
                    made += 1
                    progress.update(done: startPlanned + made + skippedPlanned)
                }
            }
            let total = keptSamples + made
            if total % perShard != 0 { shardEnds[total - total % perShard] = (plan.plannedSamples, journal.skipped.count) }
            _ = try writer.finish()
        } catch {
            pipeline.cancel()
            writer.abandon()
            progress.finish()
            throw error
        }
        pipeline.join()
        progress.finish()
        var summary = try finishManifest(options, shardSet, journal: journal, seconds: progress.elapsed, made: made, kept: keptShards)
        summary.decodedArea = decodedImages > 0 ? decodedShares / Double(decodedImages) : nil
        return summary
    }

    /// The annotation's records (SELECT_DATA applied for train) as a plan and the SHA-256 of the
    /// files they came from; sets `options`' dataset description (the annotations', completed by
    /// DATASET.DESCRIPTION) and COCO category.
    static func loadPlan(_ options: inout BuildOptions) throws -> (BuildPlan, String) {
        guard let annotation = FileManager.default.contents(atPath: options.annotationPath) else {
            throw BuildError("\(options.annotationPath): cannot be read (no annotation file for set '\(options.imageSet)' under --root \(options.root))")
        }
        var sha = annotation.withUnsafeBytes { SHA256.hex($0) }
        var records: [PoseRecord]
        var description = DatasetDescription.mpii
        if options.isCOCO {
            let file = try COCOKeypointFile.parse(annotation, file: options.annotationPath)
            description = file.description
            options.categoryID = file.categoryID
            let m = options.config.model, aspect = Double(m.imageSize[0]) / Double(m.imageSize[1])
            if options.usesDetections {
                guard let detections = FileManager.default.contents(atPath: options.detectionPath) else {
                    throw BuildError("\(options.detectionPath): cannot be read (the detection file of TEST.COCO_BBOX_FILE or --bbox-file)")
                }
                records = try file.detectionRecords(detections, file: options.detectionPath,
                                                    imageThreshold: options.config.test.imageThre, aspectRatio: aspect)
                sha = SHA256.hex(Array((sha + detections.withUnsafeBytes { SHA256.hex($0) }).utf8))
            } else {
                records = file.groundTruthRecords(aspectRatio: aspect)
            }
        } else {
            records = try MPIIAnnotations.parse(annotation, file: options.annotationPath, hasJoints: options.imageSet != "test",
                                                numJoints: options.config.model.numJoints)
        }
        if let path = options.descriptionPath { description = try description.applying(DescriptionOverrides.load(path: path)) }
        guard options.config.model.numJoints == description.numJoints else {
            throw BuildError("MODEL.NUM_JOINTS is \(options.config.model.numJoints); the dataset has \(description.numJoints) joints "
                             + "(\(description.skeleton.jointNames.joined(separator: ", ")))")
        }
        options.description = description
        // An empty list is valid JSON but no dataset: refusing it here beats a manifest of 0
        // samples that a trainer would only trip over later.
        guard !records.isEmpty else {
            throw BuildError("\(options.annotationPath): holds no records (\(options.isCOCO ? "no usable person" : "an empty list")): nothing to build")
        }
        let keep: [Bool]? = options.isTraining && options.config.dataset.selectData
            ? records.map { !MPIIAnnotations.selectData([$0]).isEmpty } : nil
        let plan = BuildPlan(records: records, keep: keep, augEpochs: options.augEpochs, format: options.imageFormat, folder: options.imageFolder)
        return (plan, sha)
    }

    /// The error that stops a build at an image it cannot read (`--on-bad-image fail`).
    static func badImage(_ bad: PoseDataError, unit: BuildPlan.Unit) -> BuildError {
        let which = unit.records.map(String.init).joined(separator: ", ")
        return BuildError("\(bad.file): record\(unit.records.count > 1 ? "s" : "") \(which), field 'image': \(bad.problem) (--on-bad-image skip leaves such records out)")
    }

    /// Writes the manifest (last, atomically), copies the PCKh ground truth of a valid build when
    /// the dataset has it, removes the journal, and sums up.
    static func finishManifest(_ options: BuildOptions, _ shardSet: ShardSetDescription, journal: BuildJournal,
                               seconds: Double, made: Int, kept: Int) throws -> BuildSummary {
        let m = shardSet.manifest(shards: journal.done.map(\.shard), skipped: journal.skipped,
                                     created: ISO8601DateFormatter().string(from: Date()), groundTruthFile: try copyGroundTruth(options))
        try m.write(to: options.out + "/" + ShardFormat.manifestFile)
        try? FileManager.default.removeItem(atPath: options.out + "/" + BuildJournal.file)
        return BuildSummary(samples: m.totalSamples, shards: m.shards.count, bytes: m.shards.reduce(0) { $0 + $1.bytes },
                            seconds: seconds, skipped: m.skipped, keptShards: kept,
                            madeSamples: made)
    }

    /// Copies the ground truth of a valid build into the output folder when the dataset has it
    /// (MPII's PCKh file; a COCO set's annotation file, which COCO evaluation scores against);
    /// returns its name for the manifest.
    static func copyGroundTruth(_ options: BuildOptions) throws -> String? {
        if options.isCOCO {
            guard !options.isTraining else { return nil }
            let name = URL(fileURLWithPath: options.annotationPath).lastPathComponent
            try AtomicFile.write(try Data(contentsOf: URL(fileURLWithPath: options.annotationPath)), to: options.out + "/" + name)
            return name
        }
        let groundTruth = options.root + "/annot/" + OutputFolder.groundTruthFile
        guard options.set == "valid", let gt = FileManager.default.contents(atPath: groundTruth) else { return nil }
        try AtomicFile.write(gt, to: options.out + "/" + OutputFolder.groundTruthFile)
        return OutputFolder.groundTruthFile
    }
}
