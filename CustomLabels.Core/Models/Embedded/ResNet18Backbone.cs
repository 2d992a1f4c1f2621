using System.Buffers;
using Microsoft.ML.OnnxRuntime;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// The pretrained ResNet18 of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, run by ONNX Runtime. One call takes a
/// 224 x 224 BGR tensor (0..255 minus the channel means) and returns both the pooled 512-d embedding and the 512 x 7 x 7
/// feature map before global pooling, which the graph exposes as an extra output, so that tile embeddings come from
/// the same pass. Thread-safe: ONNX Runtime sessions serve concurrent runs.
/// </summary>
internal sealed class ResNet18Backbone : IDisposable
{
    /// <summary>The input side in pixels.</summary>
    public const int InputSize = 224;

    /// <summary>The embedding width.</summary>
    public const int Channels = 512;

    /// <summary>The feature map side (224 / 32).</summary>
    public const int GridSize = 7;

    /// <summary>Floats in one input tensor.</summary>
    public const int InputLength = 3 * InputSize * InputSize;

    /// <summary>The channel means subtracted from 0..255 values, in the model's B, G, R order.</summary>
    public static readonly float[] ChannelMeans = [103.06f, 115.90f, 123.15f];

    private const string InputName = "Input247";
    private const string PooledName = "Pooling395_Output_0";
    private const string FeatureMapName = "ReLU393_Output_0";
    private static readonly long[] InputShape = [1, 3, InputSize, InputSize];

    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;

    // A RunOptions made per call was seen to crash the native library under load; one lives as long as the session.
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames = [InputName];
    private readonly string[] _outputNames = [PooledName, FeatureMapName];
    private long _calls;
    private long _ticks;

    public ResNet18Backbone(string modelPath, int intraOpThreads)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"The backbone model is missing at '{modelPath}'; it is copied there by the build.", modelPath);
        }

        _sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        // Spinning threads burn the cores that concurrent requests need.
        _sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        _session = new InferenceSession(WithFeatureMapOutput(File.ReadAllBytes(modelPath)), _sessionOptions);
    }

    /// <summary>The path where the build puts the model, beside the assembly.</summary>
    public static string DefaultModelPath { get; } = Path.Combine(AppContext.BaseDirectory, "Models", "Embedded", "Onnx", "ResNet18.onnx");

    /// <summary>How many backbone calls this instance has made.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>The wall time spent inside backbone calls, summed over calls.</summary>
    public TimeSpan Time => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

    /// <summary>
    /// Runs the network on one input tensor (length <see cref="InputLength"/>). Writes the pooled embedding into
    /// <paramref name="pooled"/> (length 512) and, when given, the feature map into <paramref name="featureMap"/>
    /// (length 512 x 49, channel-major).
    /// </summary>
    public void Run(float[] input, Span<float> pooled, Span<float> featureMap)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, InputShape);
        using var outputs = _session.Run(_runOptions, _inputNames, [inputValue], _outputNames);
        outputs[0].GetTensorDataAsSpan<float>()[..Channels].CopyTo(pooled);
        if (!featureMap.IsEmpty)
        {
            outputs[1].GetTensorDataAsSpan<float>()[..(Channels * GridSize * GridSize)].CopyTo(featureMap);
        }

        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _ticks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
        _sessionOptions.Dispose();
    }

    /// <summary>
    /// Adds the feature map as a graph output. A serialized ONNX ModelProto may carry its graph field more than once;
    /// protobuf merges repeated occurrences of a message field, so appending a graph that holds only one more output
    /// (a float tensor named <see cref="FeatureMapName"/>) adds that output without parsing the model.
    /// </summary>
    internal static byte[] WithFeatureMapOutput(byte[] model)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(FeatureMapName);
        byte[] floatTensorType = [0x0A, 0x02, 0x08, 0x01]; // TypeProto.tensor_type { elem_type: FLOAT }
        var valueInfo = Concat(Field(1, name), Field(2, floatTensorType)); // ValueInfoProto { name, type }
        var graph = Field(12, valueInfo); // GraphProto.output
        var extra = Field(7, graph); // ModelProto.graph
        var result = new byte[model.Length + extra.Length];
        model.CopyTo(result, 0);
        extra.CopyTo(result, model.Length);
        return result;
    }

    private static byte[] Field(int number, byte[] payload)
    {
        var buffer = new ArrayBufferWriter<byte>(payload.Length + 8);
        WriteVarint(buffer, (ulong)((number << 3) | 2));
        WriteVarint(buffer, (ulong)payload.Length);
        buffer.Write(payload);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Concat(byte[] first, byte[] second) => [.. first, .. second];

    private static void WriteVarint(ArrayBufferWriter<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Write([(byte)(value | 0x80)]);
            value >>= 7;
        }

        buffer.Write([(byte)value]);
    }
}
