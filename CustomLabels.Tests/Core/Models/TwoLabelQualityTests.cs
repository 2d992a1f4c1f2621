using System.Globalization;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using Xunit.Abstractions;

namespace CustomLabels.Tests.Core.Models;

/// <summary>
/// A user with two labels only: trained on two logos-dev brands alone (godot and keepassxc, the first run's pair), every
/// other brand's test photo and every photo of unknown/ is an unknown. Two labels cannot show the head what a foreign
/// logo looks like; the generated logo-like negatives must.
/// </summary>
public sealed class TwoLabelQualityTests(TwoLabelFixture fixture, ITestOutputHelper output) : IClassFixture<TwoLabelFixture>
{
    private static string[] Brands => TwoLabelFixture.Brands;

    private static string Version => TwoLabelFixture.Version;

    private ModelTestEnvironment Environment => fixture.Environment;

    [Fact]
    public async Task WithTwoLabelsUnknownLogosAreRejectedAndTheTwoBrandsAccepted()
    {
        var photos = File.ReadLines(Path.Combine(ModelTestEnvironment.LogosDev, "labels.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[0] is "test" or "unknown")
            .Select(f => (Path: Path.Combine(ModelTestEnvironment.LogosDev, f[1]), Truth: f[0] == "test" && Brands.Contains(f[2]) ? f[2] : null))
            .ToList();
        var results = await Task.WhenAll(photos.Select(async p =>
            (p.Path, p.Truth, Top: (await Environment.Model.DetectCustomLabelsAsync(new DetectCustomLabelsRequest(Version, await File.ReadAllBytesAsync(p.Path)))).CustomLabels[0])));
        var known = results.Where(r => r.Truth is not null).ToList();
        var unknown = results.Where(r => r.Truth is null).ToList();
        var accepted = known.Count(k => k.Top.Name == k.Truth && k.Top.Confidence >= 70) / (double)known.Count;
        var rejected = unknown.Count(u => u.Top.Confidence < 70) / (double)unknown.Count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"two labels: {known.Count} known photos accepted {accepted:P1}; {unknown.Count} unknown rejected {rejected:P1}"));
        foreach (var u in unknown.Where(u => u.Top.Confidence >= 70))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  accepted unknown {Path.GetFileName(u.Path)} as {u.Top.Name} {u.Top.Confidence:0.0}"));
        }

        Assert.Equal(20, known.Count);
        Assert.Equal(115, unknown.Count);
        Assert.True(rejected >= 0.95, $"unknown rejected at 70: {rejected:P1} < 95%");
        Assert.True(accepted >= 0.90, $"known accepted with the right label at 70: {accepted:P1} < 90%");
    }
}

/// <summary>Trains and starts the two-label version once.</summary>
public sealed class TwoLabelFixture : IAsyncLifetime
{
    public const string Version = "two-labels";

    public static readonly string[] Brands = ["godot", "keepassxc"];

    public ModelTestEnvironment Environment { get; } = new();

    public async Task InitializeAsync()
    {
        foreach (var brand in Brands)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(ModelTestEnvironment.LogosDev, "train", brand)).Order(StringComparer.Ordinal))
            {
                await Environment.Store.PutBytesAsync($"images_labeled_by_folder/{brand}/{Path.GetFileName(file)}", await File.ReadAllBytesAsync(file));
            }
        }

        var trained = await Environment.TrainAsync(Version);
        Assert.Equal(ProjectVersionStatus.TrainingCompleted, trained.Status);
        await Environment.StartAsync(Version, units: 2);
    }

    public async Task DisposeAsync() => await Environment.DisposeAsync();
}
