import COpenCVBridge

/// The 8-bit affine crop (SPEC §4): OpenCV 4.6's fixed-point warpAffine, INTER_LINEAR, border 0.
public enum AffineWarp {
    /// Warps `source` by the forward matrix `m` into `dst` (`width·height·3` bytes).
    public static func warp(_ source: RGBImage, matrix m: AffineMatrix,
                            into dst: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) throws {
        precondition(dst.count >= width * height * 3, "destination buffer too small")
        try withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { msg in
            let status = m.withEntries { entries in
                hr_warp_affine(source.pixels.baseAddress, Int32(source.width), Int32(source.height), entries,
                               dst.baseAddress, Int32(width), Int32(height), msg.baseAddress, msg.count)
            }
            guard status == 0 else { throw PoseDataError(file: "warpAffine", problem: String(cString: msg.baseAddress!)) }
        }
    }

    /// The source pixels a warp to `width × height` by forward matrix `m` can read: the inverse map
    /// of the output's corner pixels, widened by 2 px (OpenCV's 1/32-px rounding plus the bilinear
    /// neighbour) and clipped to the image. A singular matrix gives the whole image.
    public static func sampledRegion(matrix m: AffineMatrix, sourceWidth: Int, sourceHeight: Int,
                                     width: Int, height: Int) -> (x: Range<Int>, y: Range<Int>) {
        let (a, b, c, d, e, f) = m.m
        let det = a * e - b * d
        guard det != 0, det.isFinite else { return (0..<sourceWidth, 0..<sourceHeight) }
        let inv = AffineMatrix(e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det)
        var lo = SIMD2<Double>(repeating: .infinity), hi = SIMD2<Double>(repeating: -.infinity)
        for p in [SIMD2(0.0, 0.0), SIMD2(Double(width - 1), 0), SIMD2(0, Double(height - 1)), SIMD2(Double(width - 1), Double(height - 1))] {
            let q = inv.apply(p)
            lo = pointwiseMin(lo, q)
            hi = pointwiseMax(hi, q)
        }
        func clipped(_ l: Double, _ h: Double, _ n: Int) -> Range<Int> {
            guard l.isFinite && h.isFinite else { return 0..<n }
            let from = Int(max(0, min(Double(n), (l - 2).rounded(.down))))
            let to = Int(max(0, min(Double(n), (h + 3).rounded(.down))))
            return from..<max(from, to)
        }
        return (clipped(lo.x, hi.x, sourceWidth), clipped(lo.y, hi.y, sourceHeight))
    }

    /// `dst` (resized to the source's size) gets the horizontal mirror of `source` (cv::flip) in
    /// `region` (x, y ranges of the MIRRORED image); outside it, dst keeps whatever it held.
    public static func mirror(_ source: RGBImage, into dst: RGBImage, region: (x: Range<Int>, y: Range<Int>)? = nil) {
        dst.resize(width: source.width, height: source.height)
        let r = region ?? (0..<source.width, 0..<source.height)
        let status = hr_mirror_region(source.pixels.baseAddress, Int32(source.width), Int32(source.height),
                                      Int32(r.x.lowerBound), Int32(r.x.upperBound), Int32(r.y.lowerBound), Int32(r.y.upperBound),
                                      dst.pixels.baseAddress, nil, 0)
        precondition(status == 0, "mirror region \(r) of a \(source.width)x\(source.height) image")
    }

    /// The reference's flipped crop: warp of the horizontally mirrored `source` by `m` (a matrix made
    /// for the mirrored image). Only the region the warp samples is mirrored, into `scratch`, so the
    /// crop is bit-identical to mirroring the whole image first at a fraction of the copying.
    ///
    /// (Folding the mirror into the matrix instead — x → w−1−x composed into M — is NOT exact:
    /// OpenCV rounds each row offset half-to-even in 1/1024 px, and the float32-derived matrices put
    /// many row offsets on or within rounding error of a tie, so 3 of the 40 golden flipped crops and
    /// 4 of 240 random boxes came out a few pixel values off.)
    public static func warpMirrored(_ source: RGBImage, matrix m: AffineMatrix, scratch: RGBImage,
                                    into dst: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int) throws {
        let region = sampledRegion(matrix: m, sourceWidth: source.width, sourceHeight: source.height, width: width, height: height)
        mirror(source, into: scratch, region: region)
        try warp(scratch, matrix: m, into: dst, width: width, height: height)
    }
}
