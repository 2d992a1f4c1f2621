using System.Text.Json.Nodes;
using Amazon.SimpleSystemsManagement;
using CustomLabels.Core;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Parameters.Aws;
using CustomLabels.Core.Workflow.Aws;

namespace CustomLabels.Tests.Core.Aws;

[Collection(BotocoreCollection.Name)]
public sealed class ParameterSchedulesTests(BotocoreChecker botocore) : IAsyncLifetime, IDisposable
{
    private FakeAwsServer _server = null!;
    private AmazonSimpleSystemsManagementClient _ssm = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeAwsServer.StartAsync();
        _ssm = new AmazonSimpleSystemsManagementClient(
            AwsTest.Credentials,
            new AmazonSimpleSystemsManagementConfig { ServiceURL = _server.BaseAddress.ToString(), AuthenticationRegion = AwsTest.Region, MaxErrorRetry = 0 });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _ssm.Dispose();

    [Fact]
    public async Task RearmWritesBothRulesFromTheParameters()
    {
        var options = AwsTest.Options();
        options.TrainingScheduleRuleName = "customlabels-training";
        options.SamplingScheduleRuleName = "customlabels-sampling";
        var schedules = Create(options);
        _server.Respond(200, """
            {"Parameters":[{"Name":"/customlabels/Automatic-Training-Poll-Frequency","Type":"String","Value":"60","Version":2,"LastModifiedDate":1700000000},
                           {"Name":"/customlabels/Enable-Automatic-Human-Sampling","Type":"String","Value":"false","Version":1,"LastModifiedDate":1700000000}]}
            """);
        _server.Respond(200, """{"RuleArn":"arn:aws:events:us-east-1:123456789012:rule/customlabels-training"}""");
        _server.Respond(200, """{"RuleArn":"arn:aws:events:us-east-1:123456789012:rule/customlabels-sampling"}""");

        await schedules.RearmAsync();

        var training = JsonNode.Parse(_server.Requests[1].Body)!;
        var sampling = JsonNode.Parse(_server.Requests[2].Body)!;
        Assert.Equal(("customlabels-training", "rate(60 minutes)", "ENABLED"),
            (training["Name"]!.GetValue<string>(), training["ScheduleExpression"]!.GetValue<string>(), training["State"]!.GetValue<string>()));
        Assert.Equal(("rate(720 minutes)", "DISABLED"), (sampling["ScheduleExpression"]!.GetValue<string>(), sampling["State"]!.GetValue<string>()));
        await botocore.AssertMatchesModelAsync("events", "PutRule", _server.Requests[1]);
        await botocore.AssertMatchesModelAsync("events", "PutRule", _server.Requests[2]);
    }

    [Fact]
    public async Task WithoutRuleNamesRearmingIsLeftToTheCloud()
    {
        await Create(AwsTest.Options()).RearmAsync();

        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void RatesAreWholeMinutes()
    {
        Assert.Equal("rate(1 minute)", ParameterSchedules.RateOf(TimeSpan.FromMinutes(1)));
        Assert.Equal("rate(720 minutes)", ParameterSchedules.RateOf(TimeSpan.FromHours(12)));
    }

    private ParameterSchedules Create(AwsOptions options) => new(
        new SsmParameterStore(_ssm, Microsoft.Extensions.Options.Options.Create(options), new PipelineEvents()),
        AwsTest.Client(AwsService.EventBridge, _server.BaseAddress, options),
        Microsoft.Extensions.Options.Options.Create(options));
}
