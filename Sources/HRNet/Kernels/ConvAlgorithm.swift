#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `Conv2D` computes a convolution: im2col + GEMM (any shape), or Winograd F(m×m, 3×3) for the
/// forward and both gradients of a 3×3 stride-1 pad-1 convolution (the weight gradient of images
/// under 4×4 stays im2col + GEMM: `ConvGeometry.isWinogradWeightGradientEligible`).
public enum ConvAlgorithm: Equatable, Sendable, CustomStringConvertible {
    case im2col
    case winograd(WinogradTile)

    public var description: String {
        switch self {
        case .im2col: return "im2col"
        case .winograd(let tile): return "winograd\(tile.outputSize)"
        }
    }

    /// Which algorithm the network's convolutions use.
    public enum Policy: Equatable, Sendable {
        /// Per shape, from measured thresholds (`automatic(for:)`).
        case auto
        /// This algorithm wherever it applies (im2col elsewhere).
        case forced(ConvAlgorithm)

        /// `auto`, `im2col`, `winograd` (the tile `auto` uses), `winograd2` or `winograd4`.
        public init?(name: String) {
            switch name.lowercased() {
            case "auto": self = .auto
            case "im2col": self = .forced(.im2col)
            case "winograd": self = .forced(.winograd(ConvAlgorithm.defaultTile))
            case "winograd2": self = .forced(.winograd(.f2))
            case "winograd4": self = .forced(.winograd(.f4))
            default: return nil
            }
        }

        /// The algorithm for one convolution.
        public func algorithm(for g: ConvGeometry) -> ConvAlgorithm {
            switch self {
            case .auto: return ConvAlgorithm.automatic(for: g)
            case .forced(let choice): return g.isWinogradEligible ? choice : .im2col
            }
        }
    }

    /// `HRNET_CONV` if set, else `auto`. An unknown name ends the process with a message naming
    /// the variable (like `HRNET_ISA`).
    public static let policy: Policy = {
        guard let raw = getenv("HRNET_CONV"), raw.pointee != 0 else { return .auto }
        let name = String(cString: raw)
        guard let policy = Policy(name: name) else {
            fputs("error: HRNET_CONV=\(name): unknown algorithm (one of: auto, im2col, winograd, winograd2, "
                  + "winograd4)\n", stderr)
            exit(2)
        }
        return policy
    }()

    /// The Winograd tile `auto` uses. F(4×4) would save more multiplies, but its float32 rounding
    /// breaks the golden network tests' tolerances (two Adam steps against the reference); it
    /// runs only when forced (`HRNET_CONV=winograd4`).
    public static let defaultTile = WinogradTile.f2

    /// Where `auto` runs Winograd, from `hrnet-train benchmark conv` (batch 8, one thread, CPU
    /// time) on every 3×3 shape of W32, the compact W16 and the golden tests' tiny network. F(2×2)
    /// beats im2col + GEMM on all of W32's and W16's, 8×8 to 64×64 and 16 to 256 channels, with
    /// every variant of the kernels (forward 1.2–2.0× AVX-512, 1.1–1.9× AVX2, 1.8–2.2× portable; the
    /// backward, its weight gradient then still im2col, 1.0–1.3×); these have ≥ 9.4 M multiply-adds
    /// per image. It loses (0.4–0.6×) on the tiny network's thin layers, 8 channels at 16×16 down
    /// to 64 at 2×2, 0.15 M multiply-adds per image: there the transforms' fixed costs (the
    /// filter transform, three parallel loops, part-empty vectors) outweigh the multiplies saved.
    /// The line is drawn between, at 2²⁰ multiply-adds; images under 8×8 gained nowhere measured.
    public static let minimumWinogradSide = 8, minimumWinogradMultiplyAdds = 1 << 20

    /// The measured choice for one shape: F(2×2) Winograd on eligible convolutions at least
    /// `minimumWinogradSide` on both sides with at least `minimumWinogradMultiplyAdds` per image,
    /// im2col + GEMM elsewhere.
    public static func automatic(for g: ConvGeometry) -> ConvAlgorithm {
        g.isWinogradEligible && min(g.height, g.width) >= minimumWinogradSide
            && g.multiplyAdds >= minimumWinogradMultiplyAdds ? .winograd(defaultTile) : .im2col
    }
}
