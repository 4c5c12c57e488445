/// The bilinear blend of an inside pixel (`WarpKernel`): from its two 8-byte tap words at `p`
/// (upper row) and `p + rowBytes` (lower row), each `[L.rgb R.rgb · ·]`, and the packed weights
/// wxPair = wx0 | wx1 << 8 (left, right), wyPair = wy0 | wy1 << 16 (upper, lower), writes
///
///     d[c] = (Σ v·wx·wy + 512) >> 10   for c = r, g, b,   and garbage in d[3].
/// `blend2` does two pixels, the second at d + 3 (its garbage byte lands at d + 6), with the two
/// pixels' weight pairs in the low and high halves of `wxPairs`, `wyPairs`.
///
/// The blends exist per instruction set (`PortableBlend` in CropBlend for the x86-64 baseline,
/// `X86Blend` in CropBlendAVX2 for x86-64-v3); this file is compiled into both modules, and the
/// warp calls the module of the CPU's variant once per run of inside pixels.
protocol InsideBlend {
    static func blend(_ p: UnsafePointer<UInt8>, rowBytes: Int, wxPair: Int32, wyPair: Int32, into d: UnsafeMutablePointer<UInt8>)
    static func blend2(_ p: UnsafePointer<UInt8>, _ q: UnsafePointer<UInt8>, rowBytes: Int, wxPairs: UInt64, wyPairs: UInt64,
                       into d: UnsafeMutablePointer<UInt8>)
}

extension InsideBlend {
    /// `count` consecutive inside pixels from `d` on: pixel i's taps at `base + codes[i]`, its
    /// weight pairs `wxPairs[i]`, `wyPairs[i]`; two at a time (`blend2`), the odd one alone.
    /// Each writes 3 bytes plus one byte of garbage past its own, which the next pixel overwrites
    /// (the caller lets the last pixel of a crop row take a 3-byte path).
    @inline(__always)
    static func run(count: Int, base: UnsafePointer<UInt8>, rowBytes: Int, codes: UnsafePointer<Int32>,
                    wxPairs: UnsafePointer<Int32>, wyPairs: UnsafePointer<Int32>, into d: UnsafeMutablePointer<UInt8>) {
        var i = 0, d = d
        while i + 1 < count {
            blend2(base + Int(codes[i]), base + Int(codes[i + 1]), rowBytes: rowBytes,
                   wxPairs: UnsafeRawPointer(wxPairs + i).loadUnaligned(as: UInt64.self),
                   wyPairs: UnsafeRawPointer(wyPairs + i).loadUnaligned(as: UInt64.self), into: d)
            i += 2; d += 6
        }
        if i < count {
            blend(base + Int(codes[i]), rowBytes: rowBytes, wxPair: wxPairs[i], wyPair: wyPairs[i], into: d)
        }
    }
}
