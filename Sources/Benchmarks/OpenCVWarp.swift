import AffineCrop
import COpenCVBridge
import PoseData

/// OpenCV's own crop (cv::warpAffine, cv::flip through the bridge), kept ONLY as the oracle that
/// `AffineWarp` is tested against bit for bit, and as the baseline of `hrprep bench-warp`.
/// Samples are cropped by `AffineWarp`.
public enum OpenCVWarp {
    /// cv::warpAffine(source, m, (width, height), INTER_LINEAR, BORDER_CONSTANT, 0) into `dst`.
    public static func warpAffine(_ source: RGBImage, matrix m: AffineMatrix,
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

    /// `dst` (resized to the source's size) gets the horizontal mirror of `source` (cv::flip) in
    /// `region` (x, y ranges of the MIRRORED image; nil: all of it); outside it, dst keeps whatever
    /// it held. The benchmark's OpenCV side of a flipped sample: mirror, then warp, as the reference does.
    public static func mirror(_ source: RGBImage, into dst: RGBImage, region: (x: Range<Int>, y: Range<Int>)? = nil) {
        dst.resize(width: source.width, height: source.height)
        let r = region ?? (0..<source.width, 0..<source.height)
        let status = hr_mirror_region(source.pixels.baseAddress, Int32(source.width), Int32(source.height),
                                      Int32(r.x.lowerBound), Int32(r.x.upperBound), Int32(r.y.lowerBound), Int32(r.y.upperBound),
                                      dst.pixels.baseAddress, nil, 0)
        precondition(status == 0, "mirror region \(r) of a \(source.width)x\(source.height) image")
    }
}
