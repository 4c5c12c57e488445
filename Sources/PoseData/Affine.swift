import AffineCrop
import COpenCVBridge
import Foundation

/// The crop geometry of the reference (`utils/transforms.py: get_affine_transform`,
/// docs/reference-behaviour.md#affine-crop).
public enum CropAffine {
    /// Pixels per unit of scale: a scale of 1.0 is a 200-pixel box.
    public static let pixelStd = 200.0

    /// The matrix mapping the box (center c, scale s, rotation r degrees) onto an output of
    /// `outputSize` = (W, H) pixels, or the inverse (output -> source) when `inverse`.
    ///
    /// Three point pairs, each rounded to float32 exactly where the reference stores them in float32
    /// arrays, then solved by OpenCV's getAffineTransform (double), so the result is bit-identical:
    ///   src_w = s.x·200, rot = π·r/180, src_dir = rotate((0, −src_w/2), rot), dst_dir = (0, −W/2)
    ///   src0 = c + s·200·shift, src1 = c + src_dir + s·200·shift, dst0 = (W/2, H/2), dst1 = dst0 + dst_dir
    ///   p2 = p1 + (−(p0−p1).y, (p0−p1).x)   (float32 arithmetic, as numpy does on float32 arrays)
    /// Only s.x enters: the crop keeps the output's aspect ratio. `scaleIsFloat32`: the scale is a
    /// float32 array in the reference (COCO boxes), so `s·200` is a float32 product.
    public static func matrix(center: SIMD2<Double>, scale: SIMD2<Double>, rotation: Double,
                              outputSize: (width: Int, height: Int), shift: SIMD2<Float> = .zero,
                              inverse: Bool = false, scaleIsFloat32: Bool = false) -> AffineMatrix {
        let scaleTmp = scaleIsFloat32 ? SIMD2<Double>(SIMD2<Float>(scale) * Float(pixelStd)) : scale * pixelStd
        let srcW = scaleTmp.x
        let rotRad = Double.pi * rotation / 180
        let sn = sin(rotRad), cs = cos(rotRad)
        let srcPoint = SIMD2<Double>(0, srcW * -0.5)
        let srcDir = SIMD2(srcPoint.x * cs - srcPoint.y * sn, srcPoint.x * sn + srcPoint.y * cs)
        let dstW = Double(outputSize.width), dstH = Double(outputSize.height)
        let dstDir = SIMD2<Float>(0, Float(dstW * -0.5))
        let shiftPx = scaleTmp * SIMD2<Double>(Double(shift.x), Double(shift.y))

        let src0 = SIMD2<Float>(center + shiftPx)
        let src1 = SIMD2<Float>(center + srcDir + shiftPx)
        let dstMid = SIMD2<Double>(dstW * 0.5, dstH * 0.5)
        let dst0 = SIMD2<Float>(dstMid)
        let dst1 = SIMD2<Float>(dstMid + SIMD2<Double>(dstDir))
        let src = (src0, src1, thirdPoint(src0, src1))
        let dst = (dst0, dst1, thirdPoint(dst0, dst1))
        return inverse ? solve(from: dst, to: src) : solve(from: src, to: dst)
    }

    /// The reference's `get_3rd_point(a, b)`: `b + (−(a−b).y, (a−b).x)`, in float32 like numpy on float32 arrays.
    @inlinable
    static func thirdPoint(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> {
        let d = a - b
        return b + SIMD2(-d.y, d.x)
    }

    /// Three point pairs (p0, p1, p2).
    public typealias Triangle = (SIMD2<Float>, SIMD2<Float>, SIMD2<Float>)

    /// OpenCV's getAffineTransform: the matrix taking `from.k` to `to.k` for k = 0, 1, 2.
    /// The pairs are never degenerate here (p2 is p1 plus a rotated p0−p1); a degenerate set gives
    /// OpenCV's own answer (zeros), never a crash. No heap allocation (called once per sample).
    public static func solve(from: Triangle, to: Triangle) -> AffineMatrix {
        var s = (from.0.x, from.0.y, from.1.x, from.1.y, from.2.x, from.2.y)
        var d = (to.0.x, to.0.y, to.1.x, to.1.y, to.2.x, to.2.y)
        var out = AffineMatrix(0, 0, 0, 0, 0, 0)
        let status = withUnsafePointer(to: &s) { sp in
            withUnsafePointer(to: &d) { dp in
                withUnsafeMutablePointer(to: &out.m) { op in
                    sp.withMemoryRebound(to: Float.self, capacity: 6) { sf in
                        dp.withMemoryRebound(to: Float.self, capacity: 6) { df in
                            op.withMemoryRebound(to: Double.self, capacity: 6) { hr_get_affine_transform(sf, df, $0, nil, 0) }
                        }
                    }
                }
            }
        }
        precondition(status == 0, "getAffineTransform failed on valid input")
        return out
    }
}
