using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CustomLabels.Core;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Aws;
using CustomLabels.Core.Workflow.Handlers;
using CustomLabels.Tests.Core.Aws;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CustomLabels.Tests.Infra;

/// <summary>
/// The CloudFormation template agrees with the code: every Task of the one definition is bound to the Lambda
/// function of the handler with that name, the parameters carry the catalog's defaults, the schedules and object
/// rules deliver the workflow's event shapes, and the functions' settings are the AWS options. (AWS's cfn-lint
/// checks the template itself in the test command.)
/// </summary>
public sealed partial class InfraTemplateTests
{
    private static readonly Lazy<(JsonObject Template, string Definition)> Files = new(Load);

    /// <summary>The CloudFormation template as JSON.</summary>
    internal static JsonObject Template => Files.Value.Template;

    private static JsonObject Resources => Template[nameof(Resources)]!.AsObject();

    [Fact]
    public void EveryTaskResourceIsSubstitutedWithTheLambdaFunctionOfTheHandlerOfThatName()
    {
        var inDefinition = ResourcePattern().Matches(Files.Value.Definition).Select(m => m.Groups[1].Value).ToHashSet();
        var substitutions = Resources["StateMachine"]!["Properties"]!["DefinitionSubstitutions"]!.AsObject();
        var handlers = HandlerNames();

        Assert.Equal(inDefinition.Order(), substitutions.Select(s => s.Key).Order());
        foreach (var (key, value) in substitutions)
        {
            var name = key[..^"FunctionArn".Length];
            var function = value!["Fn::GetAtt"]![0]!.GetValue<string>();
            Assert.Equal("Arn", value["Fn::GetAtt"]![1]!.GetValue<string>());
            Assert.Equal("AWS::Lambda::Function", Resources[function]!["Type"]!.GetValue<string>());
            Assert.Equal(name, Resources[function]!["Properties"]!["Handler"]!.GetValue<string>());
            Assert.Contains(name, handlers);
        }
    }

    [Fact]
    public void TheParametersCarryTheCatalogsDefaultsUnderTheStackPath()
    {
        var parameters = Resources.Select(r => r.Value!).Where(r => r["Type"]!.GetValue<string>() == "AWS::SSM::Parameter")
            .ToDictionary(r => r["Properties"]!["Name"]!["Fn::Sub"]!.GetValue<string>(), r => r["Properties"]!);

        foreach (var definition in ParameterCatalog.All)
        {
            var parameter = parameters[$"/${{AWS::StackName}}/{definition.Name}"];
            Assert.False(string.IsNullOrWhiteSpace(parameter["Description"]?.ToString()), definition.Name);
            if (definition.Type != ParameterType.Json)
            {
                Assert.Equal(definition.DefaultValue, parameter["Value"]!.GetValue<string>());
            }
        }

        Assert.Equal(ParameterCatalog.All.Count, parameters.Count);
    }

    [Theory]
    [InlineData("TrainingScheduleRule", WorkflowEvents.Branches.Training, ParameterNames.EnableAutomaticTraining, ParameterNames.AutomaticTrainingPollFrequency)]
    [InlineData("SamplingScheduleRule", WorkflowEvents.Branches.Sampling, ParameterNames.EnableAutomaticHumanSampling, ParameterNames.AutomaticHumanSamplingFrequency)]
    public void EachScheduleDeliversTheScheduledEventAndStartsFromTheDefaults(string rule, string schedule, string enabledParameter, string frequencyParameter)
    {
        var properties = Resources[rule]!["Properties"]!;
        var input = JsonNode.Parse(properties["Targets"]![0]!["Input"]!.GetValue<string>());

        Assert.Equal(WorkflowEvents.Scheduled(schedule).ToJsonString(), input!.ToJsonString());
        Assert.Equal(schedule, WorkflowEvents.BranchOf(input));
        Assert.Equal(ParameterCatalog.Get(enabledParameter).DefaultValue == "true" ? "ENABLED" : "DISABLED", properties["State"]!.GetValue<string>());
        Assert.Equal(
            ParameterSchedules.RateOf(TimeSpan.FromMinutes(int.Parse(ParameterCatalog.Get(frequencyParameter).DefaultValue, System.Globalization.CultureInfo.InvariantCulture))),
            properties["ScheduleExpression"]!.GetValue<string>());
    }

    [Fact]
    public void NewObjectsUnderTheTwoWatchedPrefixesStartTheWorkflow()
    {
        var pattern = Resources["ObjectCreatedRule"]!["Properties"]!["EventPattern"]!;
        var prefixes = pattern["detail"]!["object"]!["key"]!.AsArray().Select(k => k!["prefix"]!.GetValue<string>());

        Assert.Equal([BucketLayout.DetectionImages, BucketLayout.HumanLoopOutput], prefixes);
        var starter = Resources["ObjectCreatedRule"]!["Properties"]!["Targets"]![0]!["Arn"]!["Fn::GetAtt"]![0]!.GetValue<string>();
        Assert.Equal(ObjectCreatedExecutions.HandlerName, Resources[starter]!["Properties"]!["Handler"]!.GetValue<string>());
        Assert.Equal(WorkflowEvents.ObjectCreatedDetailType, pattern["detail-type"]![0]!.GetValue<string>());
        Assert.Equal(WorkflowEvents.ParameterChangeDetailType, Resources["ParameterChangeRule"]!["Properties"]!["EventPattern"]!["detail-type"]![0]!.GetValue<string>());
        Assert.True(Resources["Bucket"]!["Properties"]!["NotificationConfiguration"]!["EventBridgeConfiguration"]!["EventBridgeEnabled"]!.GetValue<bool>());
    }

    [Fact]
    public void TheFunctionsSettingsAreAwsOptionsAndTheOutputsGiveEveryRequiredOne()
    {
        var variables = Resources["NotifyFunction"]!["Properties"]!["Environment"]!["Variables"]!.AsObject();
        var optionNames = typeof(AwsOptions).GetProperties().Select(p => p.Name).ToHashSet();

        foreach (var (name, _) in variables.Where(v => v.Key.StartsWith("CustomLabels__Aws__", StringComparison.Ordinal)))
        {
            Assert.Contains(name["CustomLabels__Aws__".Length..], optionNames);
        }

        var outputs = Template["Outputs"]!.AsObject().Select(o => o.Key).ToHashSet();
        foreach (var required in new[] { "BucketName", "ParameterPathPrefix", "StateMachineArn", "ProjectArn", "FlowDefinitionArn", "TableName", "TopicArn", "LabelingPortalUrl" })
        {
            Assert.Contains(required, outputs);
            Assert.Contains(required, optionNames);
        }
    }

    [Fact]
    public void TheDeployedPollsKeepASeventyTwoHourTrainingUnderStepFunctionsHistoryLimit()
    {
        const int historyLimit = 25_000; // Step Functions' events per standard execution
        var training = TimeSpan.FromHours(72); // Rekognition Custom Labels' longest training
        var starting = TimeSpan.FromHours(2);
        const int restOfTheRun = 500; // every other state of the training branch, retries included, with room to spare

        // The polls come from the check step's function: its settings are the workflow's step options.
        var variables = Resources["CheckTrainingFunction"]!["Properties"]!["Environment"]!["Variables"]!.AsObject();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(variables
                .Where(v => v.Key.StartsWith("CustomLabels__Workflow__Steps__", StringComparison.Ordinal))
                .Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), (string?)v.Value!.ToString())))
            .Build();
        var steps = configuration.GetSection(WorkflowStepOptions.SectionName).Get<WorkflowStepOptions>() ?? new WorkflowStepOptions();

        var events = (training.TotalSeconds / steps.TrainingPollSeconds * EventsPerPoll("WaitForTraining"))
                     + (starting.TotalSeconds / steps.StartPollSeconds * EventsPerPoll("WaitForStart"))
                     + restOfTheRun;

        Assert.True(events < historyLimit, $"A 72-hour training polled every {steps.TrainingPollSeconds} s and a 2-hour start polled every {steps.StartPollSeconds} s write about {events:0} history events, over the {historyLimit} limit.");
        Assert.True(steps.TrainingPollSeconds <= 600, $"A training poll of {steps.TrainingPollSeconds} s lets a finished version wait too long.");
    }

    [Fact]
    public void AStartThatFailsLandsInAnEncryptedDeadLetterQueueThatKeepsItForTwoWeeks()
    {
        var target = Resources["ObjectCreatedRule"]!["Properties"]!["Targets"]![0]!;
        var starter = target["Arn"]!["Fn::GetAtt"]![0]!.GetValue<string>();

        // EventBridge invokes the starter asynchronously: a failed delivery goes to the target's dead-letter queue...
        var queue = target["DeadLetterConfig"]?["Arn"]?["Fn::GetAtt"]?[0]?.GetValue<string>();
        Assert.NotNull(queue);
        Assert.True(target["RetryPolicy"]!["MaximumRetryAttempts"]!.GetValue<int>() >= 1);
        Assert.True(target["RetryPolicy"]!["MaximumEventAgeInSeconds"]!.GetValue<int>() >= 3600);

        // ...and a start that fails in the function goes, after Lambda's retries, to its on-failure destination.
        var invokeConfig = Resources.Select(r => r.Value!).Single(r =>
            r["Type"]!.GetValue<string>() == "AWS::Lambda::EventInvokeConfig" && r["Properties"]!["FunctionName"]!["Ref"]?.GetValue<string>() == starter)["Properties"]!;
        Assert.Equal(queue, invokeConfig["DestinationConfig"]!["OnFailure"]!["Destination"]!["Fn::GetAtt"]![0]!.GetValue<string>());
        Assert.True(invokeConfig["MaximumRetryAttempts"]!.GetValue<int>() >= 1);

        var properties = Resources[queue]!["Properties"]!;
        Assert.Equal("AWS::SQS::Queue", Resources[queue]!["Type"]!.GetValue<string>());
        Assert.True(properties["SqsManagedSseEnabled"]?.GetValue<bool>() == true || properties["KmsMasterKeyId"] is not null, "The dead-letter queue is not encrypted.");
        Assert.Equal(14 * 24 * 3600, properties["MessageRetentionPeriod"]!.GetValue<int>());

        // The starter's role may send to the queue, and EventBridge may too, for this rule only.
        var role = Resources[starter]!["Properties"]!["Role"]!["Fn::GetAtt"]![0]!.GetValue<string>();
        var roleStatements = Resources[role]!["Properties"]!["Policies"]!.AsArray().SelectMany(p => p!["PolicyDocument"]!["Statement"]!.AsArray()).OfType<JsonObject>();
        Assert.Contains(roleStatements, s => Strings(s["Action"]).Contains("sqs:SendMessage") && s["Resource"]!["Fn::GetAtt"]?[0]?.GetValue<string>() == queue);

        var queuePolicy = Resources.Select(r => r.Value!).Single(r =>
            r["Type"]!.GetValue<string>() == "AWS::SQS::QueuePolicy" && r["Properties"]!["Queues"]!.AsArray().Any(q => q!["Ref"]?.GetValue<string>() == queue))["Properties"]!;
        var statement = queuePolicy["PolicyDocument"]!["Statement"]!.AsArray().OfType<JsonObject>().Single();
        Assert.Equal("events.amazonaws.com", statement["Principal"]!["Service"]!.GetValue<string>());
        Assert.Equal(["sqs:SendMessage"], Strings(statement["Action"]));
        Assert.Equal("ObjectCreatedRule", statement["Condition"]!["ArnEquals"]!["aws:SourceArn"]!["Fn::GetAtt"]![0]!.GetValue<string>());
    }

    /// <summary>
    /// Each A2I runtime operation that <c>A2IHumanReview</c> calls, and the resources that IAM authorizes it against
    /// (the Service Authorization Reference, as cfn-lint 1.51 carries it): a loop is started against its flow
    /// definition, ListHumanLoops has no resource-level permissions (only <c>*</c>), and the others act on the loop.
    /// </summary>
    [Theory]
    [InlineData("sagemaker:StartHumanLoop", "flow-definition")]
    [InlineData("sagemaker:ListHumanLoops", "*")]
    [InlineData("sagemaker:DescribeHumanLoop", "human-loop")]
    [InlineData("sagemaker:StopHumanLoop", "human-loop")]
    [InlineData("sagemaker:DeleteHumanLoop", "human-loop")]
    public void EachA2IOperationIsGrantedOnTheResourceAwsAuthorizesItAgainst(string action, string resourceType)
    {
        var granted = PipelineStatements().Where(s => Strings(s["Action"]).Contains(action)).SelectMany(s => s["Resource"] is JsonArray many ? [.. many] : new[] { s["Resource"] })
            .Select(r => r!.ToJsonString()).ToList();

        switch (resourceType)
        {
            case "flow-definition":
                Assert.Equal([new JsonObject { ["Fn::GetAtt"] = new JsonArray("Review", "FlowDefinitionArn") }.ToJsonString()], granted);
                break;
            case "*":
                Assert.Equal(["\"*\""], granted);
                break;
            default:
                // Only this product's loops: the names the detection and sampling steps give them.
                var patterns = granted.Select(r => JsonNode.Parse(r)?["Fn::Sub"]?.GetValue<string>() ?? r).ToList();
                const string loopArn = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:human-loop/";
                Assert.All(patterns, p => Assert.StartsWith(loopArn, p, StringComparison.Ordinal));
                foreach (var name in new[] { CreateHumanLoopHandler.LoopNameOf("review", "r1"), CreateHumanLoopHandler.LoopNameOf("sample", "r1") })
                {
                    Assert.Contains(patterns, p => Regex.IsMatch(loopArn + name, "^" + Regex.Escape(p).Replace(@"\*", ".*", StringComparison.Ordinal) + "$"));
                }

                Assert.DoesNotContain(loopArn + "*", patterns);
                break;
        }
    }

    private static IEnumerable<JsonObject> PipelineStatements() =>
        Resources["PipelineAccessPolicy"]!["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray().OfType<JsonObject>();

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray many ? [.. many.Select(n => n!.GetValue<string>())] : [node!.GetValue<string>()];

    /// <summary>The history events of one round of a poll loop of the definition, from its Wait state back to it.</summary>
    private static int EventsPerPoll(string waitState)
    {
        var states = JsonNode.Parse(Files.Value.Definition)!["States"]!.AsObject();
        var events = 0;
        var name = waitState;
        for (var steps = 0; steps < 10; steps++)
        {
            var state = states[name]!;
            var type = state["Type"]!.GetValue<string>();

            // Entered and Exited for every state; a Task adds Scheduled, Started and Succeeded.
            events += type == "Task" ? 5 : 2;
            name = type == "Choice"
                ? state["Choices"]!.AsArray().Select(c => c!["Next"]!.GetValue<string>()).Single(n => n == waitState)
                : state["Next"]!.GetValue<string>();
            if (name == waitState)
            {
                return events;
            }
        }

        throw new InvalidOperationException($"{waitState} is not in a poll loop.");
    }

    private static List<string> HandlerNames()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(AwsTest.Settings());
        builder.Services.AddSingleton<Amazon.Runtime.AWSCredentials>(AwsTest.Credentials);
        builder.AddCustomLabelsCore();
        using var host = builder.Build();
        return [.. host.Services.GetServices<ITaskHandler>().Select(h => h.Name)];
    }

    /// <summary>Reads the template with AWS's cfn-lint's own parser (it knows the short intrinsic tags) into JSON.</summary>
    private static (JsonObject, string) Load()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "infra", "customlabels.yaml")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var template = Path.Combine(root.FullName, "infra", "customlabels.yaml");
        var script = $"import json, sys\nfrom cfnlint.decode import decode\ntemplate, matches = decode({Quote(template)})\nif matches: sys.exit(str(matches))\nprint(json.dumps(template))";
        using var python = Process.Start(new ProcessStartInfo("python3", ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var error = python.StandardError.ReadToEndAsync();
        var json = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, "cfn-lint (./test.sh installs it) could not read the template: " + error.Result);
        return ((JsonObject)JsonNode.Parse(json)!, File.ReadAllText(Path.Combine(root.FullName, "infra", "statemachine.asl.json")));
    }

    private static string Quote(string path) => System.Text.Json.JsonSerializer.Serialize(path);

    [GeneratedRegex(@"\$\{(\w+FunctionArn)\}")]
    private static partial Regex ResourcePattern();
}
