namespace CustomLabels.Core.Models.Embedded;

/// <summary>
/// Reads and writes a trained head (<c>head.bin</c> in the version's folder). Format 4 adds the negative references and
/// their weight; heads of format 3 still load, with none.
/// </summary>
internal static class HeadFile
{
    private const int Magic = 0x44414548; // "HEAD"
    private const int FormatVersion = 4;
    private const int OldestReadableVersion = 3;

    public static void Write(string path, OpenSetHead head)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var writer = new BinaryWriter(File.Create(temp)))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(head.Labels.Length);
            foreach (var label in head.Labels)
            {
                writer.Write(label);
            }

            WriteFloats(writer, head.Center);
            WriteFloats(writer, head.Weights);
            foreach (var references in head.References)
            {
                WriteFloats(writer, references);
            }

            writer.Write(head.ColourWeight);
            writer.Write(head.SimilarityWeight);
            writer.Write(head.MarginWeight);
            writer.Write(head.CandidateRegions);
            writer.Write(head.CalibrationSlope);
            writer.Write(head.CalibrationOffset);
            WriteFloats(writer, head.NegativeReferences);
            writer.Write(head.NegativeWeight);
        }

        File.Move(temp, path, overwrite: true);
    }

    public static OpenSetHead Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var format = reader.ReadInt32() == Magic ? reader.ReadInt32() : -1;
        if (format is < OldestReadableVersion or > FormatVersion)
        {
            throw new InvalidDataException($"'{path}' is not a head file this version reads.");
        }

        var labels = new string[reader.ReadInt32()];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = reader.ReadString();
        }

        var center = ReadFloats(reader);
        var weights = ReadFloats(reader);
        var references = new float[labels.Length][];
        for (var i = 0; i < labels.Length; i++)
        {
            references[i] = ReadFloats(reader);
        }

        // Object initialisers run in order, which is the file's order.
        return new OpenSetHead
        {
            Labels = labels,
            Center = center,
            Weights = weights,
            References = references,
            ColourWeight = reader.ReadSingle(),
            SimilarityWeight = reader.ReadSingle(),
            MarginWeight = reader.ReadSingle(),
            CandidateRegions = reader.ReadInt32(),
            CalibrationSlope = reader.ReadSingle(),
            CalibrationOffset = reader.ReadSingle(),
            NegativeReferences = format >= 4 ? ReadFloats(reader) : [],
            NegativeWeight = format >= 4 ? reader.ReadSingle() : 0,
        };
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[reader.ReadInt32()];
        var bytes = reader.ReadBytes(values.Length * sizeof(float));
        if (bytes.Length != values.Length * sizeof(float))
        {
            throw new EndOfStreamException("The head file ends early.");
        }

        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
        return values;
    }
}
