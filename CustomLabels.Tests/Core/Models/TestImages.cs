using System.Buffers.Binary;
using System.Text;

namespace CustomLabels.Tests.Core.Models;

/// <summary>Bad inputs made from bytes: empty, truncated, not an image, and a decompression bomb's header.</summary>
public static class TestImages
{
    public static string DemoTrain => Path.Combine(ModelTestEnvironment.LogosDev, "demo", "train");

    public static byte[] Jpeg(string label = "godot", int index = 1) =>
        File.ReadAllBytes(Path.Combine(DemoTrain, label, $"{label}_{index:00}.jpg"));

    public static byte[] Truncated() => Jpeg()[..(Jpeg().Length * 6 / 10)];

    public static byte[] NotAnImage() => Encoding.UTF8.GetBytes("This is a text file, not a picture of a logo.\n");

    /// <summary>A well-formed PNG whose header declares 50,000 x 50,000 pixels (10 GB once decoded), with a tiny body.</summary>
    public static byte[] PngBomb()
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, 50_000);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 50_000);
        header[8] = 8; // bit depth
        header[9] = 6; // RGBA
        Chunk(stream, "IHDR", header);
        Chunk(stream, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
