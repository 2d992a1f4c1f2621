using System.Text.Json.Nodes;
using Amazon.SimpleSystemsManagement;
using CustomLabels.Core;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Parameters.Aws;

namespace CustomLabels.Tests.Core.Aws;

/// <summary>The SSM adapter (AWSSDK.SimpleSystemsManagement) against a loopback stand-in answering in SSM's documented shapes.</summary>
[Collection(BotocoreCollection.Name)]
public sealed class SsmParameterStoreTests(BotocoreChecker botocore) : IAsyncLifetime, IDisposable
{
    private FakeAwsServer _server = null!;
    private AmazonSimpleSystemsManagementClient _ssm = null!;
    private SsmParameterStore _store = null!;
    private readonly PipelineEvents _events = new();

    public async Task InitializeAsync()
    {
        _server = await FakeAwsServer.StartAsync();
        _ssm = new AmazonSimpleSystemsManagementClient(
            AwsTest.Credentials,
            new AmazonSimpleSystemsManagementConfig { ServiceURL = _server.BaseAddress.ToString(), AuthenticationRegion = AwsTest.Region, MaxErrorRetry = 0 });
        _store = new SsmParameterStore(_ssm, Microsoft.Extensions.Options.Options.Create(AwsTest.Options()), _events);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _ssm.Dispose();

    [Fact]
    public async Task GetAllReadsThePathAndFillsDefaultsForParametersNeverWritten()
    {
        _server.Respond(200, """
            {"Parameters":[{"Name":"/customlabels/Minimum-F1-Score","Type":"String","Value":"0.9","Version":3,"LastModifiedDate":1700000000}],"NextToken":"n"}
            """);
        _server.Respond(200, """{"Parameters":[{"Name":"/customlabels/Enable-A2I-Workflow","Type":"String","Value":"false","Version":2,"LastModifiedDate":1700000001}]}""");

        var values = await _store.GetAllAsync();

        Assert.Equal(ParameterCatalog.All.Count, values.Count);
        Assert.Equal("0.9", values.Single(v => v.Name == ParameterNames.MinimumF1Score).Value);
        Assert.Equal(3, values.Single(v => v.Name == ParameterNames.MinimumF1Score).Version);
        Assert.Equal("false", values.Single(v => v.Name == ParameterNames.EnableA2IWorkflow).Value);
        var untouched = values.Single(v => v.Name == ParameterNames.HumanSamplingInterval);
        Assert.Equal(("1000", 0L), (untouched.Value, untouched.Version));
        await botocore.AssertMatchesModelAsync("ssm", "GetParametersByPath", _server.Requests[0]);
        Assert.Equal("n", JsonNode.Parse(_server.Requests[1].Body)!["NextToken"]!.GetValue<string>());
    }

    [Fact]
    public async Task PutValidatesNormalizesRecordsWhoAndRaisesAnEvent()
    {
        _server.Respond(200, """{"Version":4,"Tier":"Standard"}""");
        var seen = new List<PipelineEvent>();
        using var subscription = _events.Subscribe(seen.Add);

        var written = await _store.PutAsync(ParameterNames.EnableAutomaticTraining, "True", "alice");

        Assert.Equal(("true", 4L), (written.Value, written.Version));
        var request = Assert.Single(_server.Requests);
        await botocore.AssertMatchesModelAsync("ssm", "PutParameter", request);
        var body = JsonNode.Parse(request.Body)!;
        Assert.Equal("/customlabels/Enable-Automatic-Training", body["Name"]!.GetValue<string>());
        Assert.Equal("true", body["Value"]!.GetValue<string>());
        Assert.EndsWith("[changed by alice]", body["Description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal([new PipelineEvent(PipelineEventKind.Parameter, ParameterNames.EnableAutomaticTraining)], seen);
    }

    [Fact]
    public async Task AnOutOfRangeValueIsRefusedAndNothingIsSent()
    {
        var error = await Assert.ThrowsAsync<ParameterValidationException>(() => _store.PutAsync(ParameterNames.MinimumF1Score, "1.5", "alice"));
        await Assert.ThrowsAsync<UnknownParameterException>(() => _store.PutAsync("No-Such-Parameter", "1", "alice"));

        Assert.Contains("from 0 to 1", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task HistoryIsNewestFirstWithOldValuesAndWhoChangedEachVersion()
    {
        _server.Respond(200, """
            {"Parameters":[
              {"Name":"/customlabels/Minimum-F1-Score","Value":"0.8","Version":1,"LastModifiedDate":1700000000,"LastModifiedUser":"arn:aws:iam::123456789012:role/cfn","Description":"A newly trained version..."},
              {"Name":"/customlabels/Minimum-F1-Score","Value":"0.9","Version":2,"LastModifiedDate":1700000100,"LastModifiedUser":"arn:aws:iam::123456789012:role/dash","Description":"A newly trained version... [changed by bob]"}],
             "NextToken":"h2"}
            """);
        _server.Respond(200, """
            {"Parameters":[{"Name":"/customlabels/Minimum-F1-Score","Value":"0.85","Version":3,"LastModifiedDate":1700000200,"LastModifiedUser":"arn:aws:iam::123456789012:role/dash","Description":"x [changed by carol]"}]}
            """);

        var history = await _store.GetHistoryAsync(ParameterNames.MinimumF1Score);

        Assert.Equal([3L, 2L, 1L], history.Select(h => h.Version));
        Assert.Equal(["carol", "bob", "arn:aws:iam::123456789012:role/cfn"], history.Select(h => h.ChangedBy));
        Assert.Equal(("0.9", "0.85"), (history[0].OldValue, history[0].NewValue));
        Assert.Null(history[2].OldValue);
        await botocore.AssertMatchesModelAsync("ssm", "GetParameterHistory", _server.Requests[1]);
    }

    [Fact]
    public async Task AParameterNeverWrittenReadsAsItsDefault()
    {
        _server.Respond(400, """{"__type":"ParameterNotFound","message":"Parameter not found"}""");

        var value = await _store.GetAsync(ParameterNames.MinimumUntrainedImages);

        Assert.Equal(("10", 0L), (value.Value, value.Version));
    }
}
