import CropBlend
#if arch(x86_64)
import CropBlendAVX2
#endif
import InstructionSets

/// One affine crop's inner loops (`AffineWarp.warp`), by vertical strips of up to `strip` output
/// columns (all rows of one strip, then the next; one strip for crops up to 256 wide). Per strip,
/// the column deltas (adelta, bdelta); per row of it, first the grid positions, `lanes` at a time
/// in SIMD, into row arrays (1/32-px positions gx, gy; each pixel's `code`: the byte offset of its
/// taps when inside, −1 on the border, −2 wholly outside; the blend weights packed,
/// wxPair = (32 − ax) | ax << 8, wyPair = (32 − fy) | fy << 16); then each pixel from its 2×2 taps:
/// - inside (all four taps in the image, 8-byte loads in the window): `InsideBlend` of the two
///   8-byte tap words `[L.rgb R.rgb · ·]` (upper, lower row); 4 bytes stored, the 4th overwritten
///   by the next pixel, which is written later (so the crop's last column takes the border path,
///   which stores 3: with several strips its right neighbour, the next row's first pixel, is
///   already written, and the crop's very last pixel has none);
/// - wholly outside: the border value 0;
/// - otherwise (border): tap by tap, the taps outside the image skipped (border value 0).
/// Mirrored, a tap at column x is read at w − 1 − x: the pair (sx, sx+1) is the word at column
/// w − 2 − sx with its two taps swapped, i.e. ax = 32 − fx takes fx's place in the weights.
struct WarpKernel {
    typealias Lanes = SIMD16<Int32>
    static let lanes = Lanes.scalarCount
    /// Output columns per strip: whole rows of the usual crops (narrower strips measured 12% slower).
    static let strip = 256
    /// One strip array, 256 Int32.
    typealias Block = (SIMD64<Int32>, SIMD64<Int32>, SIMD64<Int32>, SIMD64<Int32>)
    /// The scratch, 7 KiB on the stack (a tuple has a fixed size: no allocation, no stack check):
    /// adelta, bdelta, gx, gy, code, wxPair, wyPair.
    typealias Scratch = (Block, Block, Block, Block, Block, Block, Block)
    static var emptyScratch: Scratch {
        let b: Block = (.zero, .zero, .zero, .zero)
        return (b, b, b, b, b, b, b)
    }

    let base: UnsafePointer<UInt8>
    let rowBytes: Int32
    let windowX: Int32, windowY: Int32
    /// Full image size.
    let w: Int32, h: Int32
    let mirrored: Bool
    /// Inside pixels whose 8-byte reads would pass the window's last byte go the border way.
    let lastWordOffset: Int32
    let dst: UnsafeMutablePointer<UInt8>
    let width: Int, height: Int
    /// The `Scratch`: the strip arrays, each `strip` long, adelta first.
    let arrays: UnsafeMutablePointer<Int32>
    /// The baseline blend (CropBlend) rather than the AVX2 one (CropBlendAVX2): asked for, or the
    /// variant is `portable` (forced, or a CPU without AVX2).
    let portable: Bool

    init(source: ImageView, mirrored: Bool, dst: UnsafeMutablePointer<UInt8>, width: Int, height: Int,
         scratch: UnsafeMutablePointer<Int32>, portable: Bool) {
        precondition(MemoryLayout<Block>.size == 4 * Self.strip && MemoryLayout<Scratch>.size == 7 * 4 * Self.strip)
        precondition(source.imageWidth < Int(Int16.max) && source.imageHeight < Int(Int16.max),
                     "a \(source.imageWidth)x\(source.imageHeight) image: OpenCV's warp takes 16-bit tap coordinates")
        precondition(source.byteCount < Int(Int32.max), "an image view of \(source.byteCount) bytes")
        base = source.base
        rowBytes = Int32(source.rowBytes)
        windowX = Int32(source.window.x.lowerBound); windowY = Int32(source.window.y.lowerBound)
        w = Int32(source.imageWidth); h = Int32(source.imageHeight)
        self.mirrored = mirrored
        lastWordOffset = Int32(max(-1, source.byteCount - source.rowBytes - 8))
        self.dst = dst
        self.width = width; self.height = height
        arrays = scratch
        self.portable = portable || ISA.active == .portable
    }

    /// The whole crop.
    func run(_ grid: WarpGrid) {
        let k = Self.strip, code = arrays + 4 * k
        for x in stride(from: 0, to: width, by: k) {
            let n = min(k, width - x)
            for i in 0..<k { (arrays[i], arrays[k + i]) = i < n ? grid.columnDelta(x + i) : (0, 0) }
            for y in 0..<height {
                positions(n, origin: grid.rowOrigin(y))
                if x + n == width && (x > 0 || y == height - 1) { code[n - 1] = -1 }
                pixels(n, into: dst + 3 * (width * y + x))
            }
        }
    }

    /// The row's `n` pixels of the strip, `d` its first: each run of inside pixels in one call
    /// of the blend module of the chosen instruction set, the others here.
    @inline(__always)
    func pixels(_ n: Int, into d: UnsafeMutablePointer<UInt8>) {
        let c = arrays + 2 * Self.strip, k = Self.strip
        let codes = c + 2 * k
        var i = 0
        while i < n {
            let code = codes[i]
            if code >= 0 {
                var end = i + 1
                while end < n && codes[end] >= 0 { end += 1 }
                blendInside(end - i, codes: codes + i, wxPairs: c + 3 * k + i, wyPairs: c + 4 * k + i, into: d + 3 * i)
                i = end
                continue
            }
            if code == -2 {
                d[3 * i] = 0; d[3 * i + 1] = 0; d[3 * i + 2] = 0
            } else {
                let gx = c[i], gy = c[k + i]
                blendBorder(sx: WarpGrid.saturatedTap(gx >> 5), sy: WarpGrid.saturatedTap(gy >> 5), fx: gx & 31, fy: gy & 31,
                            into: d + 3 * i)
            }
            i += 1
        }
    }

    @inline(__always)
    private func blendInside(_ count: Int, codes: UnsafePointer<Int32>, wxPairs: UnsafePointer<Int32>,
                             wyPairs: UnsafePointer<Int32>, into d: UnsafeMutablePointer<UInt8>) {
        #if arch(x86_64)
        if !portable {
            return CropBlendAVX2.InsideBlendRun.blend(count: count, base: base, rowBytes: Int(rowBytes), codes: codes,
                                                      wxPairs: wxPairs, wyPairs: wyPairs, into: d)
        }
        #endif
        CropBlend.InsideBlendRun.blend(count: count, base: base, rowBytes: Int(rowBytes), codes: codes,
                                       wxPairs: wxPairs, wyPairs: wyPairs, into: d)
    }

    /// The row arrays of the strip's `n` pixels. Only lane-wise arithmetic (Swift's SIMD
    /// comparisons compile to per-lane loops): a pixel is inside iff sx, w − 2 − sx, sy, h − 2 − sy
    /// and the room left for its reads are all ≥ 0, i.e. their OR is; wholly outside iff one of
    /// sx + 1, w − 1 − sx, sy + 1, h − 1 − sy is negative. Taps are not saturated to 16 bits here:
    /// the image is narrower than 32767 px, so a tap in it is unsaturated, and the border path
    /// saturates its own.
    @inline(__always)
    func positions(_ n: Int, origin: (Int32, Int32)) {
        let x0 = Lanes(repeating: origin.0), y0 = Lanes(repeating: origin.1)
        let a = UnsafeRawPointer(arrays), b = UnsafeRawPointer(arrays + Self.strip)
        let c = UnsafeMutableRawPointer(arrays + 2 * Self.strip), k = 4 * Self.strip
        for i in stride(from: 0, to: 4 * n, by: 4 * Self.lanes) {
            let px = (x0 &+ a.loadUnaligned(fromByteOffset: i, as: Lanes.self)) &>> 5
            let py = (y0 &+ b.loadUnaligned(fromByteOffset: i, as: Lanes.self)) &>> 5
            let sx = px &>> 5, sy = py &>> 5
            // Window column of the 8-byte word holding the tap pair (mirrored: at w − 2 − sx).
            let col = (mirrored ? (w &- 2) &- sx : sx) &- windowX
            let o = (sy &- windowY) &* rowBytes &+ col &* 3
            let notInside = (sx | ((w &- 2) &- sx) | sy | ((h &- 2) &- sy) | (lastWordOffset &- o)) &>> 31
            let outside = ((sx &+ 1) | ((w &- 1) &- sx) | (sy &+ 1) | ((h &- 1) &- sy)) &>> 31
            let fx = px & 31, fy = py & 31
            let ax = mirrored ? 32 &- fx : fx
            c.storeBytes(of: px, toByteOffset: i, as: Lanes.self)
            c.storeBytes(of: py, toByteOffset: k + i, as: Lanes.self)
            c.storeBytes(of: (o | notInside) & ~(outside & 1), toByteOffset: 2 * k + i, as: Lanes.self)
            c.storeBytes(of: (32 &- ax) | (ax &<< 8), toByteOffset: 3 * k + i, as: Lanes.self)
            c.storeBytes(of: (32 &- fy) | (fy &<< 16), toByteOffset: 4 * k + i, as: Lanes.self)
        }
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
                    let p = base + Int(sy + j - windowY) * Int(rowBytes) + 3 * Int(column - windowX)
                    acc &+= SIMD4(Int32(p[0]), Int32(p[1]), Int32(p[2]), 0) &* (wx * wy)
                }
            }
        }
        let v = acc &>> 10
        d[0] = UInt8(truncatingIfNeeded: v[0]); d[1] = UInt8(truncatingIfNeeded: v[1]); d[2] = UInt8(truncatingIfNeeded: v[2])
    }
}
