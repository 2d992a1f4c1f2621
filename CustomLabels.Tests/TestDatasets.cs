namespace CustomLabels.Tests;

/// <summary>The shared image sets, found by walking up from the test binaries to a folder that has <c>shared/datasets</c>.</summary>
public static class TestDatasets
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "datasets");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No shared/datasets folder above {AppContext.BaseDirectory}.");
    });

    /// <summary>The logos-dev set: train/, test/, unknown/ and demo/.</summary>
    public static string LogosDev => Path.Combine(Root.Value, "logos-dev");

    /// <summary>A file of the logos-dev set, e.g. <c>LogosDevFile("train", "geany", "geany_01.jpg")</c>.</summary>
    public static string LogosDevFile(params string[] parts) => Path.Combine([LogosDev, .. parts]);
}
