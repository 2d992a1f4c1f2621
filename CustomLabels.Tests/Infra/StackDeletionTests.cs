using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CustomLabels.Tests.Infra;

/// <summary>
/// Deleting the stack stops the project's running model versions, which are billed by the hour, and deletes every
/// version, so that CloudFormation can delete the project. The template's setup function runs against botocore
/// clients whose calls are stubbed and checked against Rekognition's service model (setup_function_check.py).
/// </summary>
public sealed class StackDeletionTests
{
    private const string ProjectArn = "arn:aws:rekognition:us-east-1:123456789012:project/cl-labels/1700000000000";

    [Fact]
    public void TheVersionsResourceIsDeletedBeforeTheProjectAndMayStopAndDeleteItsVersions()
    {
        var resources = InfraTemplateTests.Template["Resources"]!.AsObject();
        var versions = resources["ProjectVersions"]!;
        Assert.Equal("Custom::ProjectVersions", versions["Type"]!.GetValue<string>());

        // It references the project, so CloudFormation deletes it first.
        Assert.Equal("Project", versions["Properties"]!["ProjectArn"]!["Fn::GetAtt"]![0]!.GetValue<string>());
        var setup = resources["SetupFunction"]!["Properties"]!;
        Assert.Equal(900, setup["Timeout"]!.GetValue<int>());

        var actions = resources["SetupRole"]!["Properties"]!["Policies"]!.AsArray()
            .SelectMany(p => p!["PolicyDocument"]!["Statement"]!.AsArray())
            .SelectMany(s => s!["Action"]!.AsArray().Select(a => a!.GetValue<string>()))
            .ToHashSet();
        Assert.Superset(new HashSet<string> { "rekognition:DescribeProjectVersions", "rekognition:StopProjectVersion", "rekognition:DeleteProjectVersion" }, actions);
    }

    [Fact]
    public async Task DeletingStopsTheRunningVersionWaitsForItAndDeletesEveryVersionOverEveryPage()
    {
        var (v1, v2, v3) = (Version("v1"), Version("v2"), Version("v3"));
        var result = await RunAsync(Delete(), 900_000,
        [
            Describe(null, "page-2", (v1, "STOPPED"), (v2, "RUNNING")),
            Describe("page-2", null, (v3, "TRAINING_FAILED")),
            Call("StopProjectVersion", new JsonObject { ["ProjectVersionArn"] = v2 }, new JsonObject { ["Status"] = "STOPPING" }),
            Describe(null, null, (v1, "STOPPED"), (v2, "STOPPING"), (v3, "TRAINING_FAILED")),
            Describe(null, null, (v1, "STOPPED"), (v2, "STOPPED"), (v3, "TRAINING_FAILED")),
            DeleteVersion(v1),
            DeleteVersion(v2),
            DeleteVersion(v3),
        ]);

        Assert.Equal("SUCCESS", result["status"]!.GetValue<string>());
        Assert.Equal(ProjectArn + "/versions", result["physicalResourceId"]!.GetValue<string>());
        Assert.Empty(result["unmade"]!.AsArray());
        Assert.Equal(2, result["sleeps"]!.AsArray().Count);
    }

    [Fact]
    public async Task AVersionThatIsAlreadyGoneIsNoFailure()
    {
        var v1 = Version("v1");
        var result = await RunAsync(Delete(), 900_000,
        [
            Describe(null, null, (v1, "TRAINING_COMPLETED")),
            new JsonObject { ["service"] = "rekognition", ["operation"] = "delete_project_version", ["params"] = new JsonObject { ["ProjectVersionArn"] = v1 }, ["error"] = "ResourceNotFoundException" },
        ]);

        Assert.Equal("SUCCESS", result["status"]!.GetValue<string>());
        Assert.Empty(result["unmade"]!.AsArray());
    }

    [Fact]
    public async Task AVersionStillTrainingFailsTheDeletionWithItsNameAndNothingIsStopped()
    {
        var (v1, v2) = (Version("v1"), Version("v2"));
        var result = await RunAsync(Delete(), 900_000, [Describe(null, null, (v1, "RUNNING"), (v2, "TRAINING_IN_PROGRESS"))]);

        Assert.Equal("FAILED", result["status"]!.GetValue<string>());
        Assert.Contains(v2, result["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("still training", result["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(result["unmade"]!.AsArray());
    }

    [Fact]
    public async Task AVersionThatDoesNotStopBeforeTheFunctionsTimeRunsOutFailsTheDeletionWithItsName()
    {
        var v1 = Version("v1");
        var result = await RunAsync(Delete(), 60_000,
        [
            Describe(null, null, (v1, "STOPPING")),
        ]);

        Assert.Equal("FAILED", result["status"]!.GetValue<string>());
        Assert.Contains("did not stop in time", result["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(v1, result["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Create")]
    [InlineData("Update")]
    public async Task CreatingOrUpdatingTheStackTouchesNoVersion(string requestType)
    {
        var result = await RunAsync(Event(requestType), 900_000, []);

        Assert.Equal("SUCCESS", result["status"]!.GetValue<string>());
        Assert.Equal(ProjectArn + "/versions", result["physicalResourceId"]!.GetValue<string>());
    }

    private static string Version(string name) => $"arn:aws:rekognition:us-east-1:123456789012:project/cl-labels/version/{name}/1700000000001";

    private static JsonObject Delete() => Event("Delete");

    private static JsonObject Event(string requestType) => new()
    {
        ["RequestType"] = requestType,
        ["PhysicalResourceId"] = ProjectArn + "/versions",
        ["ResourceProperties"] = new JsonObject { ["Kind"] = "ProjectVersions", ["ProjectArn"] = ProjectArn, ["ServiceToken"] = "arn:aws:lambda:us-east-1:123456789012:function:setup" },
    };

    private static JsonObject Describe(string? token, string? next, params (string Arn, string Status)[] versions)
    {
        var parameters = new JsonObject { ["ProjectArn"] = ProjectArn };
        if (token is not null)
        {
            parameters["NextToken"] = token;
        }

        var response = new JsonObject
        {
            ["ProjectVersionDescriptions"] = new JsonArray([.. versions.Select(v => (JsonNode)new JsonObject { ["ProjectVersionArn"] = v.Arn, ["Status"] = v.Status })]),
        };
        if (next is not null)
        {
            response["NextToken"] = next;
        }

        return Call("DescribeProjectVersions", parameters, response);
    }

    private static JsonObject DeleteVersion(string arn) =>
        Call("DeleteProjectVersion", new JsonObject { ["ProjectVersionArn"] = arn }, new JsonObject { ["Status"] = "DELETING" });

    private static JsonObject Call(string operation, JsonObject parameters, JsonObject response) => new()
    {
        ["service"] = "rekognition",
        ["operation"] = string.Concat(operation.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())),
        ["params"] = parameters,
        ["response"] = response,
    };

    private static async Task<JsonObject> RunAsync(JsonObject resourceEvent, int remainingMillis, JsonObject[] calls)
    {
        var code = InfraTemplateTests.Template["Resources"]!["SetupFunction"]!["Properties"]!["Code"]!["ZipFile"]!.GetValue<string>();
        var request = new JsonObject
        {
            ["code"] = code,
            ["event"] = resourceEvent,
            ["remainingMillis"] = remainingMillis,
            ["calls"] = new JsonArray([.. calls]),
        };
        var script = Path.Combine(AppContext.BaseDirectory, "Infra", "setup_function_check.py");
        var failures = new List<string>();
        foreach (var python in new[] { "/usr/bin/python3", "python3" })
        {
            Process process;
            try
            {
                process = Process.Start(new ProcessStartInfo(python, [script])
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                })!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                failures.Add($"{python}: {e.Message}");
                continue;
            }

            using (process)
            {
                await process.StandardInput.WriteAsync(request.ToJsonString());
                process.StandardInput.Close();
                var output = process.StandardOutput.ReadToEndAsync();
                var error = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
                if (process.ExitCode == 0)
                {
                    return (JsonObject)JsonNode.Parse(await output)!;
                }

                failures.Add($"{python}: {(await error).Trim()}");
            }
        }

        throw new InvalidOperationException("No Python with botocore ran the setup function: " + string.Join("; ", failures));
    }
}
