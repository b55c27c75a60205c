/// How the graph executor groups a network's layers into steps (`GraphBuilder.build`), the rule the ONNX export
/// follows to quantize activations where the engine does: a convolution absorbs a batch norm then an activation;
/// a batch norm, add, mul or gemm absorbs an activation; each absorbed layer reads only the layer before it, is
/// that layer's only reader, and stands in the same block. Every other layer is a step of its own.
public struct GraphSteps: Sendable {
    public let layers: [GraphLayer]
    /// Each layer's inputs by name (an empty list resolved to the layer before it).
    public let inputs: [[String]]
    /// How many layers read each layer's output.
    public let readers: [String: Int]
    /// The indices of the layers that read each layer's output.
    public let readerLayers: [String: [Int]]

    public init(_ network: GraphNetwork) {
        layers = network.layers
        var previous = GraphNetwork.inputName
        var inputs: [[String]] = []
        var readerLayers: [String: [Int]] = [:]
        for (k, l) in network.layers.enumerated() {
            let i = l.inputs.isEmpty ? [previous] : l.inputs
            inputs.append(i)
            for name in i { readerLayers[name, default: []].append(k) }
            previous = l.name
        }
        self.inputs = inputs
        self.readerLayers = readerLayers
        readers = readerLayers.mapValues(\.count)
    }

    /// The index of the last layer of the step that starts at layer `i` (`i` when it absorbs none).
    public func end(from i: Int) -> Int {
        var end = i
        func absorb(_ accept: (GraphOp) -> Bool) {
            let j = end + 1
            guard j < layers.count, accept(layers[j].op), inputs[j] == [layers[end].name], readers[layers[end].name] == 1,
                  layers[j].block == layers[i].block else { return }
            end = j
        }
        let isActivation = { (op: GraphOp) -> Bool in if case .activation = op { return true } else { return false } }
        switch layers[i].op {
        case .conv:
            absorb { $0 == .batchNorm }
            absorb(isActivation)
        case .batchNorm, .add, .mul, .gemm:
            absorb(isActivation)
        default:
            break
        }
        return end
    }
}
