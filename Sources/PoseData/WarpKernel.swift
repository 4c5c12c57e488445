/// One affine crop's inner loops (`AffineWarp.warp`): for each output row, the grid positions of
/// `lanes` pixels at a time in SIMD, then each pixel blended from its 2×2 taps:
/// - inside (all four taps in the image, 8-byte loads in the window): both tap pairs loaded as two
///   8-byte words `[L.rgb R.rgb · ·]`, widened to 16 Int32 lanes, times the 16 weights wx·wy, the
///   four taps summed per channel; 4 bytes stored (the 4th is overwritten by the next pixel);
/// - otherwise (border): tap by tap, the taps outside the image skipped (border value 0).
/// Mirrored, a tap at column x is read at w − 1 − x: the pair (sx, sx+1) is the word at column
/// w − 2 − sx with its two taps swapped, i.e. with fx replaced by 32 − fx in the weights.
struct WarpKernel {
    typealias Lanes = SIMD16<Int32>
    static let lanes = Lanes.scalarCount

    let base: UnsafePointer<UInt8>
    let rowBytes: Int
    let windowX: Int32, windowY: Int32
    /// Full image size.
    let w: Int32, h: Int32
    let mirrored: Bool
    /// Inside pixels whose 8-byte reads would pass the window's last byte go the border way.
    let lastWordOffset: Int
    let dst: UnsafeMutablePointer<UInt8>
    let width: Int
    /// The last output pixel: stored with 3 bytes, never 4.
    let lastPixel: UnsafeMutablePointer<UInt8>

    init(source: ImageView, mirrored: Bool, dst: UnsafeMutablePointer<UInt8>, width: Int, height: Int) {
        precondition(source.imageWidth < Int(Int32.max) && source.imageHeight < Int(Int32.max))
        base = source.base
        rowBytes = source.rowBytes
        windowX = Int32(source.window.x.lowerBound); windowY = Int32(source.window.y.lowerBound)
        w = Int32(source.imageWidth); h = Int32(source.imageHeight)
        self.mirrored = mirrored
        lastWordOffset = source.byteCount - rowBytes - 8
        self.dst = dst
        self.width = width
        lastPixel = dst + 3 * (width * height - 1)
    }

    /// Output row `y` from its grid origin (X0, Y0) and the column deltas (padded to `lanes`).
    @inline(__always)
    func row(_ y: Int, origin: (Int32, Int32), adelta: UnsafePointer<Int32>, bdelta: UnsafePointer<Int32>) {
        var d = dst + 3 * width * y
        var x = 0
        let x0 = Lanes(repeating: origin.0), y0 = Lanes(repeating: origin.1)
        let a = UnsafeRawPointer(adelta), b = UnsafeRawPointer(bdelta)
        while x < width {
            let gx = (x0 &+ a.loadUnaligned(fromByteOffset: 4 * x, as: Lanes.self)) &>> 5
            let gy = (y0 &+ b.loadUnaligned(fromByteOffset: 4 * x, as: Lanes.self)) &>> 5
            let sx = WarpGrid.saturatedTap(gx &>> 5), sy = WarpGrid.saturatedTap(gy &>> 5)
            let fx = gx & 31, fy = gy & 31
            let inside = (sx .>= 0) .& (sx .< w &- 1) .& (sy .>= 0) .& (sy .< h &- 1)
            // Window column of the 8-byte word holding the tap pair (mirrored: at w − 2 − sx).
            let col = (mirrored ? (w &- 2) &- sx : sx) &- windowX
            let rowIndex = sy &- windowY
            let ax = mirrored ? 32 &- fx : fx
            for i in 0..<min(Self.lanes, width - x) {
                let offset = Int(rowIndex[i]) * rowBytes + 3 * Int(col[i])
                if inside[i] && offset <= lastWordOffset && d != lastPixel {
                    blendInside(base + offset, ax: ax[i], fy: fy[i], into: d)
                } else {
                    blendBorder(sx: sx[i], sy: sy[i], fx: fx[i], fy: fy[i], into: d)
                }
                d += 3
            }
            x += Self.lanes
        }
    }

    /// Lane patterns of the 16 weights over `[L.rgb R.rgb · ·]` of the upper then the lower row:
    /// wx = xBase + xStep·ax, wy = yBase + yStep·fy (the two unused lanes get weight 0).
    static let xBase = Lanes(32, 32, 32, 0, 0, 0, 0, 0, 32, 32, 32, 0, 0, 0, 0, 0)
    static let xStep = Lanes(-1, -1, -1, 1, 1, 1, 0, 0, -1, -1, -1, 1, 1, 1, 0, 0)
    static let yBase = Lanes(32, 32, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 0, 0, 0)
    static let yStep = Lanes(-1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1)

    /// The pixel whose tap pairs start at `p` (upper row) and `p + rowBytes` (lower row).
    @inline(__always)
    func blendInside(_ p: UnsafePointer<UInt8>, ax: Int32, fy: Int32, into d: UnsafeMutablePointer<UInt8>) {
        let raw = UnsafeRawPointer(p)
        let words = SIMD2<UInt64>(raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: rowBytes, as: UInt64.self))
        let taps = Lanes(truncatingIfNeeded: unsafeBitCast(words, to: SIMD16<UInt8>.self))
        let wx = Self.xBase &+ Self.xStep &* Lanes(repeating: ax)
        let wy = Self.yBase &+ Self.yStep &* Lanes(repeating: fy)
        let s = taps &* (wx &* wy)
        let pair = s.lowHalf &+ s.highHalf                          // upper + lower row
        let rgb = pair.lowHalf &+ SIMD4(pair[3], pair[4], pair[5], pair[6])   // left + right tap
        let v = (rgb &+ 512) &>> 10
        UnsafeMutableRawPointer(d).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: v), as: SIMD4<UInt8>.self)
    }

    /// A pixel with a tap outside the image or near the window's end: the taps inside, one by one.
    @inline(never)
    func blendBorder(sx: Int32, sy: Int32, fx: Int32, fy: Int32, into d: UnsafeMutablePointer<UInt8>) {
        var acc = SIMD4<Int32>(512, 512, 512, 0)
        if sx < w && sx >= -1 && sy < h && sy >= -1 {
            for j: Int32 in 0...1 where sy + j >= 0 && sy + j < h {
                let wy = j == 0 ? 32 - fy : fy
                for i: Int32 in 0...1 where sx + i >= 0 && sx + i < w {
                    let wx = i == 0 ? 32 - fx : fx
                    let column = mirrored ? w - 1 - (sx + i) : sx + i
                    let p = base + Int(sy + j - windowY) * rowBytes + 3 * Int(column - windowX)
                    acc &+= SIMD4(Int32(p[0]), Int32(p[1]), Int32(p[2]), 0) &* (wx * wy)
                }
            }
        }
        let v = acc &>> 10
        d[0] = UInt8(truncatingIfNeeded: v[0]); d[1] = UInt8(truncatingIfNeeded: v[1]); d[2] = UInt8(truncatingIfNeeded: v[2])
    }
}
