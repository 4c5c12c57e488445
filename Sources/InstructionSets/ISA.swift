#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCPUID

/// The instruction-set variants of the hot kernels. One binary runs on every x86-64 CPU: it is
/// built for the baseline (SSE2), and each kernel that gains from wider instructions (the GEMM
/// micro-kernels, the crop's blend, SHA-256) also exists compiled for x86-64-v3 (AVX2 + FMA) and
/// x86-64-v4 (AVX-512) in its own module; the CPU is read once (cpuid, xgetbv) and each call
/// takes the variant of `ISA.active`.
///
/// `HRNET_ISA=portable|avx2|avx512` forces a variant (tests, benchmarks of the other CPU kind);
/// one the CPU lacks is refused at start with a message, never run into SIGILL.
public enum ISA: String, CaseIterable, Comparable, Sendable {
    /// x86-64 baseline (SSE2) code only: runs everywhere.
    case portable
    /// x86-64-v3: AVX2, FMA, BMI (Haswell, Zen 1 and later).
    case avx2
    /// x86-64-v4: AVX-512 F/BW/CD/DQ/VL (Skylake-X, Zen 4 and later).
    case avx512

    public static func < (a: ISA, b: ISA) -> Bool { a.rank < b.rank }
    private var rank: Int { ISA.allCases.firstIndex(of: self)! }

    /// The feature bits of this CPU (`hr_cpu_features`), read once.
    private static let features = hr_cpu_features()

    /// The variants this CPU and OS can run, narrowest first.
    public static let supported: [ISA] = allCases.filter(isSupported)

    public static func isSupported(_ isa: ISA) -> Bool {
        switch isa {
        case .portable: return true
        case .avx2: return features & UInt32(HR_CPU_X86_64_V3) != 0
        case .avx512: return features & UInt32(HR_CPU_X86_64_V4) != 0
        }
    }

    /// Whether the SHA-256 instructions are there (used unless the variant is `portable`).
    public static let hasSHAInstructions = features & UInt32(HR_CPU_SHA) != 0

    /// Whether SHA-256 goes through the SHA instructions: the CPU has them and the variant is not
    /// forced to `portable`.
    public static var usesSHAInstructions: Bool { hasSHAInstructions && active != .portable }

    /// The widest supported variant.
    public static var best: ISA { supported.last! }

    /// The variant chosen at start: `HRNET_ISA` if set, else the widest the CPU has. An unknown
    /// name, or a variant this CPU lacks, ends the process with a message naming the variable.
    public static let selected: ISA = {
        guard let raw = getenv("HRNET_ISA"), raw.pointee != 0 else { return best }
        let name = String(cString: raw)
        switch choose(name) {
        case .success(let isa): return isa
        case .failure(let problem):
            fputs("error: HRNET_ISA=\(name): \(problem.message)\n", stderr)
            exit(2)
        }
    }()

    /// Why a requested variant cannot run here.
    public struct Refusal: Error, Equatable {
        public let message: String
        public init(message: String) { self.message = message }
    }

    /// The variant named `name` if it is known and this CPU can run it.
    public static func choose(_ name: String) -> Result<ISA, Refusal> {
        let known = allCases.map(\.rawValue).joined(separator: ", ")
        guard let isa = ISA(rawValue: name.lowercased()) else {
            return .failure(Refusal(message: "unknown instruction set (one of: \(known))"))
        }
        guard isSupported(isa) else {
            return .failure(Refusal(message: "this CPU lacks \(isa.requirement); it runs: "
                                    + supported.map(\.rawValue).joined(separator: ", ")))
        }
        return .success(isa)
    }

    /// What the CPU must have for the variant (for messages).
    public var requirement: String {
        switch self {
        case .portable: return "nothing beyond x86-64"
        case .avx2: return "x86-64-v3 (AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE, with OS support of ymm state)"
        case .avx512: return "x86-64-v4 (AVX-512 F, BW, CD, DQ, VL, with OS support of zmm state)"
        }
    }

    /// The variant the kernels use now: `selected`, unless a test or benchmark switches it to
    /// run every supported one (the switch is refused for a variant the CPU lacks).
    public static var active: ISA {
        get { current.value }
        set {
            precondition(isSupported(newValue), "ISA.active = \(newValue): this CPU lacks \(newValue.requirement)")
            current.value = newValue
        }
    }
    /// Runs `body` with `active` set to `isa`, then restores it (tests of every variant).
    public static func withActive<T>(_ isa: ISA, _ body: () throws -> T) rethrows -> T {
        let saved = active
        active = isa
        defer { active = saved }
        return try body()
    }

    private final class Box: @unchecked Sendable { var value = ISA.selected }
    private static let current = Box()
}
