import BitOpsCore

extension Preprocessing {
    /// `image` as the network's `[3, size, size]` input (the steps are documented on `Preprocessing`).
    /// The default preprocessing gives exactly `image.resized(to: size).tensor()`.
    public func tensor(_ image: RGBImage, size: Int) throws -> Tensor {
        try validate(size: size)
        let square: RGBImage
        if let resize {
            let (w, h) = (image.width, image.height)
            let (short, long) = w <= h ? (w, h) : (h, w)
            let newLong = resize * long / short
            let resized = w <= h ? image.resized(width: resize, height: newLong) : image.resized(width: newLong, height: resize)
            square = Self.centreCrop(resized, size: size)
        } else {
            square = image.resized(to: size)
        }
        // Every preprocessing, the default included, goes through the same normalization: with mean 0, std 1
        // and rgb it gives the scaled bytes exactly ((x − 0) / 1 = x), so the default is the seed's pipeline.
        var t = square.tensor()
        let plane = size * size
        let order = channelOrder == .rgb ? [0, 1, 2] : [2, 1, 0]
        var out = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            let source = order[c]
            let m = Float(mean[c]), s = Float(std[c])
            for i in 0..<plane { out[c * plane + i] = (t.data[source * plane + i] - m) / s }
        }
        t.data = out
        return t
    }

    /// The `size`×`size` centre of `image` (torchvision's CenterCrop: offsets rounded half to even).
    static func centreCrop(_ image: RGBImage, size: Int) -> RGBImage {
        precondition(image.width >= size && image.height >= size)
        func offset(_ extent: Int) -> Int { Int((Double(extent - size) / 2).rounded(.toNearestOrEven)) }
        let top = offset(image.height), left = offset(image.width)
        var pixels = [UInt8]()
        pixels.reserveCapacity(size * size * 3)
        for y in top..<top + size {
            let row = (y * image.width + left) * 3
            pixels += image.pixels[row..<row + size * 3]
        }
        return RGBImage(width: size, height: size, pixels: pixels, source: image.source)
    }
}
