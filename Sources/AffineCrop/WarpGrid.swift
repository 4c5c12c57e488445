/// Where OpenCV 4.6's 8-bit warpAffine (INTER_LINEAR) samples the source for each output pixel,
/// computed with OpenCV's own integer arithmetic (imgwarp.cpp: cv::warpAffine, hal::warpAffine,
/// WarpAffineInvoker), so our crop reads exactly the taps and weights OpenCV reads:
///
///     inverse of the forward M, in OpenCV's operation order (D = 1/(M0·M4 − M1·M3), …)
///     adelta[x] = cvRound(M0·x·1024),  bdelta[x] = cvRound(M3·x·1024)            (per column)
///     X0(y) = cvRound((M1·y + M2)·1024) + 16,  Y0(y) = cvRound((M4·y + M5)·1024) + 16   (per row, y absolute)
///     X = (X0 + adelta[x]) >> 5,  Y = (Y0 + bdelta[x]) >> 5         (source position in 1/32 px)
///     tap (sx, sy) = (sat16(X >> 5), sat16(Y >> 5)),  fraction (fx, fy) = (X & 31, Y & 31)
///
/// cvRound is `_mm_cvtsd_si32`: round half to even, INT_MIN for NaN or out of range; the int sums
/// wrap like OpenCV's. Products are never fused (OpenCV's baseline x86-64 code has no FMA).
struct WarpGrid {
    /// The inverse (output → source) matrix.
    let m0, m1, m2, m3, m4, m5: Double

    /// 1/32 px positions carried with 10 fractional bits (AB_BITS) before the final rounding.
    static let abScale = 1024.0
    /// Half of 1/32 px in those units (AB_SCALE / INTER_TAB_SIZE / 2).
    static let roundDelta: Int32 = 16

    init(forward m: AffineMatrix) {
        var (a0, a1, a2, a3, a4, a5) = m.m
        var d = a0 * a4 - a1 * a3
        d = d != 0 ? 1 / d : 0
        let a11 = a4 * d, a22 = a0 * d
        a0 = a11; a1 *= -d
        a3 *= -d; a4 = a22
        let b1 = -a0 * a2 - a1 * a5
        let b2 = -a3 * a2 - a4 * a5
        (m0, m1, m2, m3, m4, m5) = (a0, a1, b1, a3, a4, b2)
    }

    /// `saturate_cast<int>(double)` of OpenCV 4 on x86-64 (cvRound, `_mm_cvtsd_si32`).
    @inline(__always)
    static func cvRound(_ v: Double) -> Int32 {
        let r = v.rounded(.toNearestOrEven)
        return r >= -2_147_483_648 && r <= 2_147_483_647 ? Int32(r) : .min
    }

    /// (adelta[x], bdelta[x]).
    @inline(__always)
    func columnDelta(_ x: Int) -> (Int32, Int32) {
        let dx = Double(x)
        return (Self.cvRound(m0 * dx * Self.abScale), Self.cvRound(m3 * dx * Self.abScale))
    }

    /// (X0(y), Y0(y)) for the absolute output row y.
    @inline(__always)
    func rowOrigin(_ y: Int) -> (Int32, Int32) {
        let dy = Double(y)
        return (Self.cvRound((m1 * dy + m2) * Self.abScale) &+ Self.roundDelta,
                Self.cvRound((m4 * dy + m5) * Self.abScale) &+ Self.roundDelta)
    }

    /// `saturate_cast<short>` of a tap coordinate.
    @inline(__always)
    static func saturatedTap<T: FixedWidthInteger>(_ v: T) -> T { min(max(v, T(Int16.min)), T(Int16.max)) }

    /// The range of the taps (sx, sy) of all output pixels of a `width × height` crop, inclusive
    /// bounds, when the grid is monotone there — every quantity above well inside the int range,
    /// so no cvRound overflow nor wrapped sum: X, Y are then monotone in x and in y (each term is a
    /// rounded product or sum of monotone terms), so their extremes are at the output's corners.
    /// nil when some corner value is not that small (an absurd matrix): anything may be sampled.
    func tapBounds(width: Int, height: Int) -> (sx: ClosedRange<Int>, sy: ClosedRange<Int>)? {
        precondition(width > 0 && height > 0)
        let limit = Double(1 << 29)
        var lo = SIMD2<Int>(repeating: .max), hi = SIMD2<Int>(repeating: .min)
        for corner in 0..<4 {
            let x = corner & 1 == 0 ? 0 : width - 1, y = corner & 2 == 0 ? 0 : height - 1
            let dx = Double(x), dy = Double(y)
            let row = SIMD2((m1 * dy + m2) * Self.abScale, (m4 * dy + m5) * Self.abScale)
            let col = SIMD2(m0 * dx * Self.abScale, m3 * dx * Self.abScale)
            guard abs(row.x) < limit, abs(row.y) < limit, abs(col.x) < limit, abs(col.y) < limit else { return nil }
            let (x0, y0) = rowOrigin(y), (ax, bx) = columnDelta(x)
            let tap = SIMD2(Self.saturatedTap(Int((x0 &+ ax) >> 10)), Self.saturatedTap(Int((y0 &+ bx) >> 10)))
            lo = pointwiseMin(lo, tap)
            hi = pointwiseMax(hi, tap)
        }
        return (lo.x...hi.x, lo.y...hi.y)
    }
}
