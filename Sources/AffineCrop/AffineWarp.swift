/// The 8-bit affine crop (docs/reference-behaviour.md#affine-crop): bit-identical to OpenCV 4.6's fixed-point
/// `warpAffine(image, M, (W, H), INTER_LINEAR, BORDER_CONSTANT, 0)` (tested against it), in our
/// own code: no allocation, 1/32-px taps from `WarpGrid`, and the bilinear blend
///
///     out = (Σ_taps v · wx · wy + 512) >> 10,   wx ∈ {32 − fx, fx}, wy ∈ {32 − fy, fy},
///
/// over the taps inside the image (a tap outside reads the border value 0). This is OpenCV's
/// `(Σ v · w + 2^14) >> 15` with its weight table BilinearTab_i, whose entries are exactly
/// 32 · wx · wy (products of multiples of 1/32, exact in float) except entry (0, 0), saturated to
/// (32767, 0, 0, 1) by OpenCV's sum fix-up, where both formulas give the (0, 0) tap's value (or 0).
///
/// A flipped sample (`mirrored`) is the reference's warp of the horizontally mirrored image by M,
/// done without mirroring anything: the grid is computed for the mirrored image exactly as OpenCV
/// would, and each tap at mirrored column x is read from column w − 1 − x of the original (same
/// weights; the border tests are the same since the width is). (Folding the mirror into M instead
/// is NOT exact: OpenCV rounds each row offset half-to-even in 1/1024 px and the float32-derived
/// matrices put many of them on or near a tie; 3 of the 40 golden flipped crops came out off.)
public enum AffineWarp {
    /// Writes the crop of `source` by the forward matrix `m` (source → output) into `dst`
    /// (`width·height·3` bytes, RGB). `source.window` must cover `sampledRegion(...)` of this call.
    /// `portable` forces the plain-Swift inside blend where the x86 one (SSSE3, AVX2) is used
    /// (tests check both).
    public static func warp(_ source: ImageView, matrix m: AffineMatrix, mirrored: Bool = false,
                            into dst: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, portable: Bool = false) {
        precondition(width >= 0 && height >= 0 && dst.count >= width * height * 3, "destination buffer too small")
        guard width > 0 && height > 0, let out = dst.baseAddress else { return }
        let grid = WarpGrid(forward: m)
        let need = region(grid, imageWidth: source.imageWidth, imageHeight: source.imageHeight,
                          width: width, height: height, mirrored: mirrored)
        precondition(need.x.isEmpty || need.y.isEmpty
                     || (source.window.x.lowerBound <= need.x.lowerBound && need.x.upperBound <= source.window.x.upperBound
                         && source.window.y.lowerBound <= need.y.lowerBound && need.y.upperBound <= source.window.y.upperBound),
                     "the crop samples \(need) but the image view holds only \(source.window)")
        var scratch = WarpKernel.emptyScratch
        withUnsafeMutableBytes(of: &scratch) { bytes in
            WarpKernel(source: source, mirrored: mirrored, dst: out, width: width, height: height,
                       scratch: bytes.baseAddress!.assumingMemoryBound(to: Int32.self), portable: portable).run(grid)
        }
    }

    /// The source pixels (columns, rows of the ORIGINAL image, also for `mirrored`) a crop to
    /// `width × height` by forward matrix `m` reads: exactly the 2×2 taps of OpenCV's grid at the
    /// output's corners (the grid is monotone in x and y), clipped to the image; empty when the
    /// crop lies wholly outside. A decoder holding only this window gets the same crop.
    public static func sampledRegion(matrix m: AffineMatrix, sourceWidth: Int, sourceHeight: Int,
                                     width: Int, height: Int, mirrored: Bool = false) -> (x: Range<Int>, y: Range<Int>) {
        guard width > 0 && height > 0 else { return (0..<0, 0..<0) }
        return region(WarpGrid(forward: m), imageWidth: sourceWidth, imageHeight: sourceHeight,
                      width: width, height: height, mirrored: mirrored)
    }

    static func region(_ grid: WarpGrid, imageWidth w: Int, imageHeight h: Int, width: Int, height: Int,
                       mirrored: Bool) -> (x: Range<Int>, y: Range<Int>) {
        guard let taps = grid.tapBounds(width: width, height: height) else { return (0..<w, 0..<h) }
        /// Tap pairs lo...hi+1, clipped to 0..<n.
        func clipped(_ t: ClosedRange<Int>, _ n: Int) -> Range<Int> {
            let from = min(max(t.lowerBound, 0), n), to = max(min(t.upperBound + 2, n), from)
            return from..<to
        }
        let x = clipped(taps.sx, w), y = clipped(taps.sy, h)
        return (mirrored ? (w - x.upperBound)..<(w - x.lowerBound) : x, y)
    }
}
