import Foundation
import GoldenFiles
import XCTest

/// One binary for every x86-64 CPU: the built executables as a user runs them, with each kernel
/// variant forced (`HRNET_ISA`), refused where the CPU lacks it, and on emulated CPUs without
/// AVX-512 or without AVX at all (qemu-x86_64 -cpu Haswell / qemu64; Debian's qemu-user, which
/// `make deps` installs). And the disassembly: instructions past the x86-64 baseline only in the
/// per-ISA kernel modules and the SHA-256 compression.
final class InstructionSetEndToEndTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let tiny = Golden.path("hrnet_tiny/config.yaml")

    private var folder = ""
    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("isa-e2e-\(UUID().uuidString)").path
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// Builds the train shards of fixtures/mpii at the tiny network's size into `out`, optionally
    /// under an emulator (`via`); returns the shard files' bytes and the manifest's lines but the
    /// time it was created.
    private func buildShards(_ out: String, via: [String] = [], environment: [String: String] = [:]) throws -> [String: Data] {
        let built = try Executable.run("hrprep", ["build-shards", "--config", Self.tiny, "--root", Self.repo + "/fixtures/mpii",
                                                  "--set", "train", "--out", out, "--threads", "1"], via: via, environment: environment)
        XCTAssertEqual(built.status, 0, built.stderr)
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: out) {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
            files[name] = name != "manifest.json" ? data : Data(String(decoding: data, as: UTF8.self)
                .split(separator: "\n").filter { !$0.contains("\"created\"") }.joined(separator: "\n").utf8)
        }
        XCTAssertGreaterThan(files.count, 1, "shards and manifest in \(out)")
        return files
    }

    /// `steps` training steps of the tiny network on `shards`; the step losses and the summary's `isa`.
    private func train(_ shards: String, _ out: String, steps: Int, via: [String] = [], environment: [String: String]) throws -> (losses: [Double], isa: String) {
        let run = try Executable.run("hrnet-train", ["train", "--config", Self.tiny, "--shards", shards, "--out", out, "--batch", "4",
                                                     "--epochs", "1", "--max-steps", "\(steps)", "--threads", "1", "--no-progress"],
                                     via: via, environment: environment)
        XCTAssertEqual(run.status, 0, run.stderr)
        let text = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8)
        let losses = text.split(separator: "\n").filter { $0.hasPrefix("step,") }.map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[5])! }
        let isa = run.stdout.split(separator: "\n").last { $0.contains("\"isa\"") }.flatMap { line in
            line.range(of: "\"isa\": \"").map { String(line[$0.upperBound...].prefix { $0 != "\"" }) }
        }
        return (losses, isa ?? "(no isa in the summary: \(run.stdout.suffix(300)))")
    }

    /// Every variant this CPU has, forced: the summary names it; AVX2 and AVX-512 train to the same
    /// losses bit for bit (their GEMMs sum in the same order, with FMA; the elementwise kernels are
    /// bit-identical in every variant), the portable variant to
    /// within rounding. On an AVX-512 host this is the AVX2 binary path run where AVX-512 exists.
    func testForcedVariantsTrainAlike() throws {
        let shards = folder + "/train"
        _ = try buildShards(shards)
        let variants = ["portable", "avx2", "avx512"].filter { name in
            (try? Executable.run("hrnet-train", ["--help"], environment: ["HRNET_ISA": name]).status) == 0
        }
        XCTAssertTrue(variants.contains("portable"))
        var losses: [String: [Double]] = [:]
        for isa in variants {
            let run = try train(shards, folder + "/run-" + isa, steps: 3, environment: ["HRNET_ISA": isa])
            XCTAssertEqual(run.isa, isa)
            XCTAssertEqual(run.losses.count, 3)
            losses[isa] = run.losses
        }
        if let avx2 = losses["avx2"], let avx512 = losses["avx512"] { XCTAssertEqual(avx2, avx512) }
        let widest = losses[variants.last!]!
        for (a, b) in zip(losses["portable"]!, widest) { XCTAssertEqual(a, b, accuracy: 1e-4 * abs(b)) }
    }

    func testUnknownVariantIsRefusedNamingTheVariable() throws {
        for tool in ["hrprep", "hrnet-train"] {
            let run = try Executable.run(tool, ["--help"], environment: ["HRNET_ISA": "sse9"])
            XCTAssertEqual(run.status, 2)
            XCTAssertEqual(run.stderr, "error: HRNET_ISA=sse9: unknown instruction set (one of: portable, avx2, avx512)\n")
        }
    }

    /// The qemu-x86_64 command for an emulated CPU, or a skip naming what is missing.
    private func emulated(_ cpu: String) throws -> [String] {
        guard let qemu = ["/usr/bin/qemu-x86_64", "/usr/local/bin/qemu-x86_64"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("qemu-x86_64 not installed (Debian: qemu-user; `make deps` installs it)")
        }
        #if !arch(x86_64)
        throw XCTSkip("the instruction-set variants are x86-64 only")
        #endif
        return [qemu, "-cpu", cpu]
    }

    /// On an emulated CPU without AVX (qemu64: SSE2/SSE3 only) the binaries run their portable
    /// variants: the same shard bytes as here (the crop's blends and SHA-256 agree across
    /// variants), a training run close to the portable one here; an AVX2 request is refused.
    func testBaselineCPUWithoutAVXRunsThePortableVariant() throws {
        let qemu = try emulated("qemu64")
        let native = try buildShards(folder + "/native")
        XCTAssertEqual(try buildShards(folder + "/emulated", via: qemu), native)
        let here = try train(folder + "/native", folder + "/run-native", steps: 1, environment: ["HRNET_ISA": "portable"])
        let there = try train(folder + "/emulated", folder + "/run-emulated", steps: 1, via: qemu, environment: [:])
        XCTAssertEqual(there.isa, "portable")
        XCTAssertEqual(there.losses.count, 1)
        for (a, b) in zip(there.losses, here.losses) { XCTAssertEqual(a, b, accuracy: 1e-6 * abs(b)) }
        let refused = try Executable.run("hrnet-train", ["--help"], via: qemu, environment: ["HRNET_ISA": "avx2"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(Self.errorLines(refused.stderr).first?.hasPrefix("error: HRNET_ISA=avx2: this CPU lacks x86-64-v3") == true, refused.stderr)
    }

    /// On an emulated Haswell (AVX2, no AVX-512) the default is the AVX2 variant and it trains
    /// (any AVX-512 instruction on its path would stop it with SIGILL); AVX-512 is refused.
    func testAVX2CPUWithoutAVX512RunsTheAVX2Variant() throws {
        let qemu = try emulated("Haswell")
        let shards = folder + "/train"
        _ = try buildShards(shards, via: qemu)
        let run = try train(shards, folder + "/run", steps: 1, via: qemu, environment: [:])
        XCTAssertEqual(run.isa, "avx2")
        XCTAssertEqual(run.losses.count, 1)
        let refused = try Executable.run("hrnet-train", ["--help"], via: qemu, environment: ["HRNET_ISA": "avx512"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(Self.errorLines(refused.stderr).first?.hasPrefix("error: HRNET_ISA=avx512: this CPU lacks x86-64-v4") == true, refused.stderr)
    }

    /// objdump of both executables: a function with an instruction past the x86-64 baseline (VEX or
    /// EVEX encoded, ymm/zmm/opmask registers, SHA, BMI, LZCNT, MOVBE, POPCNT, SSSE3, SSE4) belongs
    /// to a per-ISA module (GEMMKernelsAVX2, GEMMKernelsAVX512, VectorKernelsAVX2, VectorKernelsAVX512,
    /// CropBlendAVX2), or is SHA-256 code
    /// using the SHA instructions, which it does only after the cpuid check.
    func testOnlyVariantModulesUseInstructionsBeyondTheBaseline() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/objdump") else { throw XCTSkip("objdump (binutils) not installed") }
        #if !arch(x86_64)
        throw XCTSkip("x86-64 only")
        #endif
        let beyond = try NSRegularExpression(pattern: #"^(v\S+|sha\S+|andn|bextr|blsi|blsmsk|blsr|bzhi|pdep|pext|rorx|sarx|shlx|shrx|lzcnt|movbe|popcnt|pshufb|pmaddubsw|palignr|phadd\S*|phsub\S*|pabs[bwd]|psign[bwd]|pmulhrsw|pblend\S*|blendv?p[sd]|pmulld|pminsd|pmaxsd|pminud|pmaxud|pminsb|pmaxsb|pminuw|pmaxuw|ptest|round[ps][sd]|pinsr[bdq]|pextr[bdq]|pmov[sz]x\S*|insertps|extractps|dpp[sd]|mpsadbw|packusdw|pcmpeqq|pcmpgtq|crc32\S*|pclmul\S*|aes\S*)$"#)
        let allowedModules = ["GEMMKernelsAVX2", "GEMMKernelsAVX512", "VectorKernelsAVX2", "VectorKernelsAVX512",
                              "CropBlendAVX2"]
        for tool in ["hrprep", "hrnet-train"] {
            guard let path = Executable.path(tool) else { throw XCTSkip("\(tool) is not built next to the tests") }
            let dump = try Self.runProgram("/usr/bin/objdump", ["-d", "--no-show-raw-insn", path])
            XCTAssertEqual(dump.status, 0, dump.stderr)
            var function = "", offenders: [String: Set<String>] = [:], variantFunctions = 0
            for line in dump.stdout.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasSuffix(">:"), let open = line.firstIndex(of: "<") {
                    function = String(line[line.index(after: open)..<line.index(line.endIndex, offsetBy: -2)])
                    continue
                }
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard fields.count >= 2 else { continue }
                let instruction = fields[1]
                let mnemonic = String(instruction.prefix { $0 != " " })
                let past = beyond.firstMatch(in: mnemonic, range: NSRange(mnemonic.startIndex..., in: mnemonic)) != nil
                    || instruction.contains("%ymm") || instruction.contains("%zmm")
                guard past else { continue }
                if allowedModules.contains(where: { function.contains("\($0.count)\($0)") }) { variantFunctions += 1; continue }
                if mnemonic.hasPrefix("sha256") && function.contains("6SHA256") { continue }
                offenders[function, default: []].insert(mnemonic)
            }
            XCTAssertEqual(offenders, [:], "\(tool): functions outside the per-ISA modules with instructions past x86-64")
            XCTAssertGreaterThan(variantFunctions, 0, "\(tool): no per-ISA kernel code found (symbols renamed?)")
        }
    }

    /// The lines of `stderr` but qemu's own warnings (features of the emulated CPU it lacks).
    static func errorLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { !$0.hasPrefix("qemu-x86_64: warning") }
    }

    /// Runs the program at `path` to completion (output read while it runs).
    static func runProgram(_ path: String, _ arguments: [String]) throws -> Executable.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Executable.Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                              stderr: String(decoding: stderr, as: UTF8.self))
    }
}
