using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Tests.Web.Api;

public sealed class ProjectVersionsApiTests(ConfiguredApp fixture) : IClassFixture<ConfiguredApp>
{
    private readonly HttpClient _operator = fixture.App.Client(RunningApp.BootstrapKey);

    [Fact]
    public async Task AVersionTheGateTurnedDownIsListedWithBothFiguresAndWhy()
    {
        // A real version row (its manifest is missing, so it fails at once) and the gate's decision about it.
        var services = fixture.App.Services;
        await services.GetRequiredService<ICustomLabelsModel>().CreateProjectVersionAsync(new CreateProjectVersionRequest("v-turned-down", "manifests/none.manifest"));
        var reason = "Version v-turned-down scored F1 0.500 on its 4 test image(s); the running version v-serving scored F1 0.900 on the same 4 image(s). "
            + "v-turned-down is worse by 0.400, more than the 0.020 allowed; it is not deployed and v-serving goes on serving.";
        await new VersionComparison
        {
            VersionName = "v-turned-down",
            F1Score = 0.5,
            MinimumF1Score = 0.4,
            TestImages = 4,
            RunningVersion = "v-serving",
            RunningVersionF1Score = 0.9,
            ComparedImages = 4,
            MaxF1Drop = 0.02,
            Deploy = false,
            Reason = reason,
            DecidedAt = DateTimeOffset.UtcNow,
        }.WriteAsync(services.GetRequiredService<IObjectStore>());

        var listing = await _operator.GetFromJsonAsync<JsonObject>("/api/project-versions");

        var version = listing!["versions"]!.AsArray().Single(v => (string)v!["version"]!["versionName"]! == "v-turned-down")!;
        var comparison = version["comparison"]!;
        Assert.False((bool)comparison["deploy"]!);
        Assert.Equal(0.5, (double)comparison["f1Score"]!);
        Assert.Equal(0.9, (double)comparison["runningVersionF1Score"]!);
        Assert.Equal("v-serving", (string?)comparison["runningVersion"]);
        Assert.Equal(4, (int)comparison["comparedImages"]!);
        Assert.Equal(reason, (string?)comparison["reason"]);
    }
}
