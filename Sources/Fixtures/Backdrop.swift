import PoseData
import Render

/// Textured, cluttered backgrounds, so a detector has to find the figure rather than any
/// non-flat pixel: a vertical colour gradient (wall over floor), low-frequency blotches (coarse
/// random grid, upsampled and blurred), a few muted boxes and discs, then mild pixel noise.
/// Muted colours keep the saturated figures in front the thing to learn.
enum Backdrop {
    static func draw(width: Int, height: Int, random: inout SampleRNG) throws -> Canvas {
        let top = mutedColour(&random), bottom = mutedColour(&random)
        let horizon = random.uniform(0.45, 0.8)
        var coarse = Canvas(width: 16, height: 12)
        for y in 0..<12 {
            for x in 0..<16 {
                let t = Double(y) / 11
                let base = t < horizon ? top : bottom
                let jitter = random.uniform(-28, 28)
                coarse[x, y] = RGB(
                    clamp(Double(base.r) + jitter), clamp(Double(base.g) + jitter), clamp(Double(base.b) + jitter))
            }
        }
        var canvas = try coarse.resized(width: width, height: height)
        try canvas.blur(sigma: Double(min(width, height)) / 40)
        let scale = Double(min(width, height))
        for _ in 0..<random.int(3...6) {
            let c = mutedColour(&random)
            let x = random.uniform(0, Double(width)), y = random.uniform(0, Double(height))
            if random.chance(0.5) {
                let w = random.uniform(0.05, 0.3) * scale, h = random.uniform(0.05, 0.3) * scale
                try canvas.rectangle(Int(x), Int(y), Int(x + w), Int(y + h), colour: c)
            } else {
                try canvas.ellipse(x, y, ax: random.uniform(0.03, 0.12) * scale, ay: random.uniform(0.03, 0.12) * scale,
                                   angle: random.uniform(0, 180), colour: c)
            }
        }
        try canvas.blur(sigma: 1.2)
        canvas.pixels.withUnsafeMutableBufferPointer { px in
            for i in 0..<px.count { px[i] = clamp(Double(px[i]) + random.uniform(-5, 5)) }
        }
        return canvas
    }

    /// A greyish colour: a random hue at low saturation and middle brightness.
    static func mutedColour(_ random: inout SampleRNG) -> RGB {
        let grey = random.uniform(70, 180), spread = random.uniform(10, 35)
        return RGB(clamp(grey + random.uniform(-spread, spread)), clamp(grey + random.uniform(-spread, spread)),
                   clamp(grey + random.uniform(-spread, spread)))
    }
}

func clamp(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
