/// Read access to (part of) an 8-bit RGB image for the affine crop: which part of the full image is
/// in memory, and where. The crop's border tests use the FULL image's size (`imageWidth`,
/// `imageHeight`); memory is addressed through `window` and `rowBytes`, so a decoder may hold only
/// the region a crop samples (`AffineWarp.sampledRegion`) and still get the whole-image crop:
///
///     pixel (x, y) of the full image, x ∈ window.x, y ∈ window.y, channel c ∈ 0..<3, is at
///     base[(y − window.y.lowerBound)·rowBytes + (x − window.x.lowerBound)·3 + c]
public struct ImageView {
    /// Pixel (window.x.lowerBound, window.y.lowerBound) of the full image.
    public var base: UnsafePointer<UInt8>
    /// Bytes from one row of the window to the next (≥ 3·window.x.count).
    public var rowBytes: Int
    /// The part of the full image held in memory.
    public var window: (x: Range<Int>, y: Range<Int>)
    /// The full image's size.
    public var imageWidth: Int
    public var imageHeight: Int

    public init(base: UnsafePointer<UInt8>, rowBytes: Int, window: (x: Range<Int>, y: Range<Int>),
                imageWidth: Int, imageHeight: Int) {
        precondition(imageWidth >= 0 && imageHeight >= 0, "image size \(imageWidth)x\(imageHeight)")
        precondition(window.x.lowerBound >= 0 && window.x.upperBound <= imageWidth
                     && window.y.lowerBound >= 0 && window.y.upperBound <= imageHeight,
                     "window \(window) outside the \(imageWidth)x\(imageHeight) image")
        precondition(rowBytes >= 3 * window.x.count, "rowBytes \(rowBytes) < 3 × \(window.x.count) columns")
        self.base = base; self.rowBytes = rowBytes; self.window = window
        self.imageWidth = imageWidth; self.imageHeight = imageHeight
    }

    /// Bytes from `base` to the end of the window's last pixel: nothing at or past it may be read.
    var byteCount: Int { window.x.isEmpty || window.y.isEmpty ? 0 : (window.y.count - 1) * rowBytes + 3 * window.x.count }
}
