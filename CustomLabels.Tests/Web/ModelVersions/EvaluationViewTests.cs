using Bunit;
using CustomLabels.Core.Models;
using CustomLabels.Web.Components.Pages.ModelVersions;

namespace CustomLabels.Tests.Web.ModelVersions;

public sealed class EvaluationViewTests : DashboardTest
{
    private static readonly DateTimeOffset Created = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static ProjectVersion Version(string? summaryKey) => new()
    {
        VersionName = "v1",
        ProjectVersionArn = "arn:v1",
        Status = ProjectVersionStatus.TrainingCompleted,
        CreationTimestamp = Created,
        F1Score = 0.9,
        EvaluationSummaryKey = summaryKey,
    };

    private static EvaluationSummary Summary() => new()
    {
        AggregatedEvaluationResults = new AggregatedEvaluationResults
        {
            F1Score = 0.9,
            Precision = 0.92,
            Recall = 0.88,
            ConfusionMatrix =
            [
                new("geany", "geany", 9), new("geany", "godot", 1),
                new("godot", "godot", 7), new("godot", "none", 3),
            ],
        },
        EvaluationDetails = new EvaluationDetails
        {
            EvaluationEndTimestamp = Created,
            Labels = ["geany", "godot"],
            NumberOfTrainingImages = 40,
            NumberOfTestingImages = 20,
            ProjectVersionArn = "arn:v1",
        },
        LabelEvaluationResults =
        [
            new() { Label = "geany", NumberOfTestingImages = 10, Metrics = new LabelMetrics { F1Score = 0.947, Precision = 1, Recall = 0.9, Threshold = 0.55 } },
            new() { Label = "godot", NumberOfTestingImages = 10, Metrics = new LabelMetrics { F1Score = 0.8, Precision = 0.875, Recall = 0.7, Threshold = 0.6 } },
        ],
    };

    [Fact]
    public async Task AnEvaluatedVersionShowsPerLabelFiguresAndTheConfusionMatrix()
    {
        var key = EvaluationSummary.KeyFor("v1");
        await Summary().WriteAsync(Store, key);

        var view = Render<EvaluationView>(p => p.Add(x => x.VersionName, "v1").Add(x => x.Version, Version(key)));

        view.WaitForAssertion(() => Assert.Contains("40 training and 20 test images", view.Markup, StringComparison.Ordinal));
        var rows = view.FindAll("tbody tr").Select(r => r.TextContent).ToList();
        Assert.Contains(rows, r => r.Contains("geany", StringComparison.Ordinal) && r.Contains("0.947", StringComparison.Ordinal) && r.Contains("55.0", StringComparison.Ordinal));
        var cells = view.FindAll("td.heat-cell");
        Assert.Equal(6, cells.Count); // two true labels by three predicted labels: geany, godot, none
        Assert.Equal("9", view.Find("td.heat-cell[title='geany predicted as geany: 9']").TextContent);
        Assert.Equal("3", view.Find("td.heat-cell[title='godot predicted as none: 3']").TextContent);
    }

    [Fact]
    public void AVersionNotEvaluatedSaysSo()
    {
        var view = Render<EvaluationView>(p => p.Add(x => x.VersionName, "v1").Add(x => x.Version, Version(null)));

        Assert.Contains("has not been evaluated", view.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void ASummaryMissingFromTheBucketIsReportedNotThrown()
    {
        var view = Render<EvaluationView>(p => p.Add(x => x.VersionName, "v1").Add(x => x.Version, Version(EvaluationSummary.KeyFor("v1"))));

        view.WaitForAssertion(() => Assert.Contains("No object has the key", view.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public void TheF1ChartMarksVersionsBelowTheMinimum()
    {
        ProjectVersion[] versions =
        [
            Version(null) with { VersionName = "v1", F1Score = 0.7 },
            Version(null) with { VersionName = "v2", F1Score = 0.9, CreationTimestamp = Created.AddDays(1) },
            Version(null) with { VersionName = "v3", F1Score = null, CreationTimestamp = Created.AddDays(2) },
        ];

        var chart = Render<F1Chart>(p => p.Add(x => x.Versions, versions).Add(x => x.MinimumF1, 0.8));

        var points = chart.FindAll("circle");
        Assert.Equal(2, points.Count);
        Assert.Contains("error", points[0].GetAttribute("fill"), StringComparison.Ordinal);
        Assert.Contains("success", points[1].GetAttribute("fill"), StringComparison.Ordinal);
        Assert.Contains("minimum 0.8", chart.Markup, StringComparison.Ordinal);
    }
}
