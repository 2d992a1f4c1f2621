using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Aws;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Aws;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CustomLabels.Tests.Core.Aws;

public sealed class AwsOptionsTests
{
    private static readonly Dictionary<string, string?> Valid = new(AwsTest.Settings())
    {
        ["CustomLabels:Aws:LabelingPortalUrl"] = "https://abc123.labeling.us-east-1.sagemaker.aws",
    };

    [Fact]
    public async Task TheAwsBackendStartsWithValidSettingsAndServesEveryPortFromAws()
    {
        using var host = Build(Valid);

        await host.StartAsync();

        Assert.IsType<S3ObjectStore>(host.Services.GetRequiredService<IObjectStore>());
        Assert.IsType<StepFunctionsWorkflowService>(host.Services.GetRequiredService<IWorkflowService>());
        Assert.NotNull(host.Services.GetRequiredService<ICustomLabelsModel>());
        Assert.IsType<ParameterSchedules>(host.Services.GetRequiredService<ISchedules>());
        Assert.Equal(new Uri("https://abc123.labeling.us-east-1.sagemaker.aws"), host.Services.GetRequiredService<HumanReviewPortal>().Url);
        Assert.Equal(AwsTest.Bucket, host.Services.GetRequiredService<IOptions<CustomLabels.Core.Workflow.Embedded.WorkflowOptions>>().Value.BucketName);
        var handlers = host.Services.GetServices<ITaskHandler>().Select(h => h.Name).ToList();
        Assert.Contains("DetectCustomLabels", handlers);
        Assert.Contains("CreateHumanLoop", handlers);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("CustomLabels:Aws:Region", "", "CustomLabels:Aws:Region is required")]
    [InlineData("CustomLabels:Aws:BucketName", "Bad_Bucket", "CustomLabels:Aws:BucketName must be an S3 bucket name")]
    [InlineData("CustomLabels:Aws:ParameterPathPrefix", "customlabels", "must start and end with '/'")]
    [InlineData("CustomLabels:Aws:StateMachineArn", "arn:aws:states:us-east-1:123456789012:activity:x", "CustomLabels:Aws:StateMachineArn must look like arn:aws:states:<region>:<account>:stateMachine:<name>")]
    [InlineData("CustomLabels:Aws:ProjectArn", "arn:aws:rekognition:eu-west-1:123456789012:project/customlabels/1700000000000", "is in region eu-west-1, but CustomLabels:Aws:Region is us-east-1")]
    [InlineData("CustomLabels:Aws:FlowDefinitionArn", "arn:aws:sagemaker:us-east-1:123456789012:human-loop/x", "flow-definition/<name>")]
    [InlineData("CustomLabels:Aws:TopicArn", "arn:aws:sqs:us-east-1:123456789012:q", "CustomLabels:Aws:TopicArn must look like")]
    [InlineData("CustomLabels:Aws:ServiceUrls:S3", "localhost:9000", "CustomLabels:Aws:ServiceUrls:S3 must be an absolute http or https URL")]
    [InlineData("CustomLabels:Aws:TableName", null, "CustomLabels:Aws:TableName is required")]
    [InlineData("CustomLabels:Aws:LabelingPortalUrl", "portal", "CustomLabels:Aws:LabelingPortalUrl must be an absolute URL")]
    public async Task ABadSettingStopsTheStartWithAMessageNamingIt(string key, string? value, string message)
    {
        using var host = Build(new Dictionary<string, string?>(Valid) { [key] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<Amazon.Runtime.AWSCredentials>(AwsTest.Credentials);
        builder.AddCustomLabelsCore();
        return builder.Build();
    }
}
