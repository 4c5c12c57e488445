import Foundation
import InstructionSets
import XCTest

/// The CPU detection (cpuid + xgetbv in CCPUID) against the kernel's own reading of the CPU
/// (/proc/cpuinfo flags, which Linux clears for register states it does not save), and the
/// refusals of `HRNET_ISA`.
final class ISATests: XCTestCase {
    /// The `flags` line of /proc/cpuinfo.
    func cpuinfoFlags() throws -> Set<Substring> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { throw XCTSkip("no /proc/cpuinfo here") }
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        return Set(line.split(separator: ":")[1].split(separator: " "))
    }

    func testDetectionAgreesWithProcCpuinfo() throws {
        #if arch(x86_64)
        let flags = try cpuinfoFlags()
        let v3: Set<Substring> = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "abm", "movbe", "ssse3", "sse4_1", "sse4_2", "popcnt", "cx16"]
        let v4: Set<Substring> = ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]
        XCTAssertEqual(ISA.isSupported(.avx2), v3.isSubset(of: flags), "x86-64-v3 flags: \(v3.subtracting(flags).sorted()) missing")
        XCTAssertEqual(ISA.isSupported(.avx512), v3.isSubset(of: flags) && v4.isSubset(of: flags))
        XCTAssertEqual(ISA.hasSHAInstructions, flags.contains("sha_ni"))
        #else
        XCTAssertEqual(ISA.supported, [.portable])
        #endif
        XCTAssertEqual(ISA.supported.first, .portable)
        XCTAssertEqual(ISA.supported, ISA.supported.sorted())
        XCTAssertEqual(ISA.best, ISA.supported.last)
    }

    func testRequestsAreCheckedAgainstTheCPU() {
        XCTAssertEqual(ISA.choose("portable"), .success(.portable))
        XCTAssertEqual(ISA.choose("AVX2"), ISA.isSupported(.avx2) ? .success(.avx2) : .failure(ISA.Refusal(
            message: "this CPU lacks \(ISA.avx2.requirement); it runs: " + ISA.supported.map(\.rawValue).joined(separator: ", "))))
        XCTAssertEqual(ISA.choose("sse9"), .failure(ISA.Refusal(message: "unknown instruction set (one of: portable, avx2, avx512)")))
        for isa in ISA.allCases where !ISA.isSupported(isa) {
            guard case .failure(let refusal) = ISA.choose(isa.rawValue) else { return XCTFail("\(isa) accepted on a CPU without it") }
            XCTAssertTrue(refusal.message.hasPrefix("this CPU lacks x86-64-v"), refusal.message)
        }
    }

    func testWithActiveSwitchesAndRestores() {
        let before = ISA.active
        for isa in ISA.supported {
            ISA.withActive(isa) { XCTAssertEqual(ISA.active, isa) }
            XCTAssertEqual(ISA.active, before)
        }
        XCTAssertEqual(ISA.usesSHAInstructions, ISA.hasSHAInstructions && ISA.active != .portable)
    }
}
