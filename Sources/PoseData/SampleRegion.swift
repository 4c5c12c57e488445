import AffineCrop

extension SampleFactory {
    /// The pixels of a `imageWidth × imageHeight` source that `makeSample(record:image:params:)`
    /// reads: the crop matrix's `AffineWarp.sampledRegion` (for a flip, in the original image's
    /// columns). The parameters fix the crop and the image's size is all it needs of the image, so
    /// a decoder can be asked for just this region before any pixel is decoded. `pose` is scratch.
    public func sampledRegion(record: PoseRecord, params: AugmentParams, imageWidth: Int, imageHeight: Int,
                              pose: inout PoseState) -> PixelRegion {
        augment(&pose, record: record, imageWidth: imageWidth, params: params)
        let size = config.imageSize
        let m = pose.matrix(outputSize: size)
        return AffineWarp.sampledRegion(matrix: m, sourceWidth: imageWidth, sourceHeight: imageHeight,
                                        width: size.width, height: size.height, mirrored: params.flip)
    }
}
