import Foundation
import HRNet
import SafeTensors
import Shards
import XCTest

/// Crash safety of `hrprep build-shards`: SIGKILL at moments drawn from seeded generators, a full
/// disk and an output folder it may not write. In every case nothing under a final name is
/// partial, what was finished is kept, and a rerun ends with the bytes of an uninterrupted build.
extension BuildShardsEndToEndTests {
    /// 160 samples in 20 shards of 8 (f16 targets): long enough to be interrupted part-way.
    static let crashFlags = ["--set", "train", "--aug-epochs", "10", "--seed", "5", "--samples-per-shard", "8", "--target-dtype", "f16"]
    static let shardCount = 20

    /// Builds with `crashFlags` into `out` without interruption; returns its manifest.
    func referenceBuild(_ out: String) throws -> ShardManifest {
        let built = try build(out, Self.crashFlags)
        XCTAssertEqual(built.status, 0, built.stderr)
        let manifest = try ShardManifest.load(path: out + "/" + ShardFormat.manifestFile)
        XCTAssertEqual(manifest.shards.count, Self.shardCount)
        return manifest
    }

    /// Finished shards listed in `out`'s journal (0 when there is none yet).
    func journalled(_ out: String) -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: out + "/build-progress.json"),
              let journal = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return (journal["done"] as? [[String: Any]]) ?? []
    }

    /// Starts the `crashFlags` build into `out`, waits until its journal lists `shards` finished
    /// shards, then `delay` µs more, and kills it with SIGKILL. False when it finished first.
    func killBuild(_ out: String, afterJournalled shards: Int, delay: UInt32) throws -> Bool {
        let running = try Executable.start("hrprep", buildArguments(out, Self.crashFlags))
        let deadline = Date().addingTimeInterval(60)
        while running.process.isRunning && Date() < deadline && journalled(out).count < shards { usleep(1_000) }
        usleep(delay)
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        return running.process.terminationReason == .uncaughtSignal
    }

    /// What may be in a folder whose build has not finished: shards complete to the byte (size and
    /// SHA-256 of `reference`'s manifest), a journal listing only such shards, and temporary names
    /// (`*.tmp-<pid>`, `.*.spill-<pid>`), which alone may be partial. No manifest.
    func assertNothingFinalIsPartial(_ out: String, _ reference: ShardManifest, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: out) else { return }   // killed before it made the folder
        let listed = Dictionary(uniqueKeysWithValues: reference.shards.map { ($0.file, $0) })
        for name in names where !name.contains(".tmp-") && !name.contains(".spill-") {
            if let entry = listed[name] {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
                XCTAssertEqual(bytes.count, entry.bytes, "\(name) is partial", file: file, line: line)
                XCTAssertEqual(SHA256.hex(bytes), entry.sha256, "\(name) differs", file: file, line: line)
            } else if name == "build-progress.json" {
                let done = journalled(out).compactMap { $0["shard"] as? [String: Any] }
                XCTAssertFalse(done.isEmpty, "the journal is written only once a shard is finished", file: file, line: line)
                for shard in done {
                    XCTAssertEqual(shard["sha256"] as? String, listed[shard["file"] as? String ?? ""]?.sha256, "journal entry \(shard)", file: file, line: line)
                }
            } else {
                XCTFail("\(out)/\(name): a final name that is not a shard of this build or its journal", file: file, line: line)
            }
        }
    }

    /// `out` holds exactly `reference`'s files with the same bytes; the manifests differ only in `created`.
    func assertSameBuild(_ out: String, as reference: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: reference).sorted()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), names, file: file, line: line)
        for name in names where name != ShardFormat.manifestFile {
            XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + name), FileManager.default.contents(atPath: reference + "/" + name),
                           name, file: file, line: line)
        }
        var resumed = try ShardManifest.load(path: out + "/" + ShardFormat.manifestFile)
        var whole = try ShardManifest.load(path: reference + "/" + ShardFormat.manifestFile)
        resumed.created = ""; whole.created = ""
        XCTAssertEqual(resumed, whole, "manifests apart from `created`", file: file, line: line)
    }

    /// Each seed draws 3 kill points, one in each of the first three quarters of the build (after
    /// 0–4, 5–9 and 10–14 of the 20 shards are journalled, plus 0–5 ms, so kills land in start-up,
    /// mid-shard, in a rename or a journal write, and at least 5 shards before the end); the build
    /// is killed at each in turn (each run resuming the last), checked, then rerun to the end. All
    /// 6 kills must land (a build that finished first fails the test). The kill points are printed.
    func testBuildsKilledAtRandomMomentsResumeToTheSameBytes() throws {
        let reference = folder()
        let manifest = try referenceBuild(reference)
        var out = ""
        for seed: UInt64 in [1, 2] {
            var random = SeededRandom(seed: seed)
            out = folder()
            var kills: [String] = []
            for quarter in 0..<3 {
                let shards = 5 * quarter + Int(random.next() % 5), delay = UInt32(random.next() % 5_000)
                guard try killBuild(out, afterJournalled: shards, delay: delay) else {
                    XCTFail("seed \(seed): the build finished before its kill at \(shards) shards + \(delay) µs")
                    break
                }
                kills.append("\(shards) shards + \(delay) µs: \(journalled(out).count) journalled")
                try assertNothingFinalIsPartial(out, manifest)
                XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/" + ShardFormat.manifestFile), "no manifest before the end")
            }
            XCTAssertEqual(kills.count, 3, "seed \(seed)")
            print("seed \(seed): killed after " + kills.joined(separator: "; "))
            let kept = journalled(out).count
            let resumed = try build(out, Self.crashFlags)
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            if kept > 0 { XCTAssertTrue(resumed.stdout.contains("\(kept) shards kept from the interrupted run"), "seed \(seed), kills \(kills): \(resumed.stdout)") }
            try assertSameBuild(out, as: reference)
        }
        // A different configuration into the finished folder is refused without --overwrite.
        let other = try build(out, ["--set", "train", "--seed", "6", "--samples-per-shard", "8"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("different configuration"), other.stderr)
        XCTAssertTrue(other.stderr.contains("--overwrite"), other.stderr)
    }
}

/// Output that cannot be written: a full disk and a folder hrprep may not write.
extension BuildShardsEndToEndTests {
    /// A full disk, made as a file-size limit (RLIMIT_FSIZE; no mount needed): writes past 128 KB
    /// fail with EFBIG as a full disk fails them with ENOSPC (a shard is 2.6 MB; SIGXFSZ, which
    /// would kill the process silently, hrprep ignores). The rerun of an interrupted build fails
    /// naming the shard and the reason; the shards kept from the interrupted run and its journal
    /// are untouched, nothing else is left, no manifest appears; a rerun with room ends in the
    /// bytes of an uninterrupted build.
    func testFullDiskKeepsTheFinishedShardsAndNamesTheFile() throws {
        let reference = folder()
        _ = try referenceBuild(reference)
        let out = folder()
        guard try killBuild(out, afterJournalled: 3, delay: 0) else { throw XCTSkip("the build finished before it could be interrupted") }
        let kept = journalled(out).compactMap { ($0["shard"] as? [String: Any])?["file"] as? String } + ["build-progress.json"]
        let before = kept.map { FileManager.default.contents(atPath: out + "/" + $0) }
        let full = try build(out, Self.crashFlags, via: Executable.fileSizeLimit(kilobytes: 128))
        XCTAssertEqual(full.status, 1, full.stderr)
        XCTAssertTrue(full.stderr.contains(out + "/shard-000") && full.stderr.contains("(File too large)"), full.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), kept.sorted(), "the kept shards and journal, nothing else")
        XCTAssertEqual(kept.map { FileManager.default.contents(atPath: out + "/" + $0) }, before, "kept bytes untouched")
        let resumed = try build(out, Self.crashFlags)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        try assertSameBuild(out, as: reference)
    }

    /// An output folder hrprep may not write. The tests run as root (CI too), which ignores
    /// permissions, so the builds run as nobody through util-linux `setpriv`; as another user, a
    /// read-only mode suffices. A build of another configuration (`--overwrite`) into a folder
    /// holding a finished build fails naming the file and the reason and leaves that build whole;
    /// into an empty read-only folder it fails at the first shard and leaves nothing.
    func testUnwritableOutputFolderIsNamedAndTheFinishedBuildKept() throws {
        var via: [String] = []
        if getuid() == 0 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw XCTSkip("running as root without /usr/bin/setpriv to drop privileges") }
            via = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        let valid = ["--set", "valid", "--samples-per-shard", "4"]
        let finished = folder(), empty = folder()
        let built = try build(finished, valid)
        XCTAssertEqual(built.status, 0, built.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: finished).sorted()
        let before = names.map { FileManager.default.contents(atPath: finished + "/" + $0) }
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        for f in [finished, empty] { XCTAssertEqual(chmod(f, 0o555), 0) }

        let overwrite = try build(finished, ["--set", "valid", "--samples-per-shard", "3", "--overwrite"], via: via)
        XCTAssertEqual(overwrite.status, 1, overwrite.stderr)
        XCTAssertTrue(overwrite.stderr.hasPrefix("Error: \(finished)/") && overwrite.stderr.contains(": cannot be removed for --overwrite (Permission denied)"),
                      overwrite.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: finished).sorted(), names)
        XCTAssertEqual(names.map { FileManager.default.contents(atPath: finished + "/" + $0) }, before, "the finished build is untouched")
        XCTAssertEqual(ShardVerifier.verify(directory: finished).map(\.description), [])

        let fresh = try build(empty, valid, via: via)
        XCTAssertEqual(fresh.status, 1, fresh.stderr)
        XCTAssertTrue(fresh.stderr.contains(empty + "/shard-00000.safetensors.tmp-") && fresh.stderr.contains(": cannot be opened (Permission denied)"), fresh.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty), [])
    }
}
