using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.SimpleSystemsManagement;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Detections.Aws;
using CustomLabels.Core.Models;
using CustomLabels.Core.Models.Aws;
using CustomLabels.Core.Notifications;
using CustomLabels.Core.Notifications.Aws;
using CustomLabels.Core.Parameters;
using CustomLabels.Core.Parameters.Aws;
using CustomLabels.Core.Review;
using CustomLabels.Core.Review.Aws;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Storage.Aws;
using CustomLabels.Core.Workflow;
using CustomLabels.Core.Workflow.Aws;
using CustomLabels.Core.Workflow.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Aws;

/// <summary>Registers the AWS backend: options, SDK clients, the small JSON clients and every port's AWS adapter.</summary>
internal static class AwsServiceCollectionExtensions
{
    /// <summary>The name of the HTTP client the JSON clients share.</summary>
    public const string HttpClientName = "CustomLabels.Aws";

    /// <summary>Adds the AWS adapters; options are read from <c>CustomLabels:Aws</c> and checked at start.</summary>
    public static IServiceCollection AddAwsAdapters(this IServiceCollection services)
    {
        services.AddOptions<AwsOptions>()
            .BindConfiguration(AwsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AwsOptions>, AwsOptionsValidator>();

        // Object events name the pipeline's bucket, as EventBridge does, so that the HTTP API's execution input for an
        // image it stored is the one the starter function builds from the event.
        services.AddOptions<WorkflowOptions>().Configure<IOptions<AwsOptions>>((workflow, aws) => workflow.BucketName = aws.Value.BucketName);
        services.AddHttpClient(HttpClientName);

        // The SDK's default chain: environment, profile, SSO, web identity, container and instance credentials,
        // unless the host registered credentials of its own first.
        services.TryAddSingleton<AWSCredentials>(_ => new DefaultAWSCredentialsIdentityResolver().ResolveIdentity(clientConfig: null));

        services.AddSingleton<IAmazonS3>(sp => CreateS3(sp.GetRequiredService<AWSCredentials>(), Options(sp)));
        services.AddSingleton<IAmazonSimpleSystemsManagement>(sp =>
            new AmazonSimpleSystemsManagementClient(sp.GetRequiredService<AWSCredentials>(), Configure(new AmazonSimpleSystemsManagementConfig(), Options(sp), Options(sp).ServiceUrls.Ssm)));
        services.AddSingleton<IAmazonDynamoDB>(sp =>
            new AmazonDynamoDBClient(sp.GetRequiredService<AWSCredentials>(), Configure(new AmazonDynamoDBConfig(), Options(sp), Options(sp).ServiceUrls.DynamoDb)));
        services.AddSingleton(sp => new DynamoDbTable(sp.GetRequiredService<IAmazonDynamoDB>(), Options(sp).TableName));

        AddJsonClient(services, AwsService.Rekognition, o => o.ServiceUrls.Rekognition);
        AddJsonClient(services, AwsService.StepFunctions, o => o.ServiceUrls.StepFunctions);
        AddJsonClient(services, AwsService.A2IRuntime, o => o.ServiceUrls.A2IRuntime);
        AddJsonClient(services, AwsService.Sns, o => o.ServiceUrls.Sns);
        AddJsonClient(services, AwsService.EventBridge, o => o.ServiceUrls.EventBridge);

        services.AddSingleton<IObjectStore, S3ObjectStore>();
        services.AddSingleton<IParameterStore, SsmParameterStore>();
        services.AddSingleton<IDetectionLog, DynamoDbDetectionLog>();
        services.AddSingleton<ICustomLabelsModel>(sp => new RekognitionCustomLabelsModel(
            sp.GetRequiredKeyedService<AwsJsonClient>(AwsService.Rekognition), sp.GetRequiredService<IOptions<AwsOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IWorkflowService>(sp => new StepFunctionsWorkflowService(
            sp.GetRequiredKeyedService<AwsJsonClient>(AwsService.StepFunctions), sp.GetRequiredService<IOptions<AwsOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IHumanReview>(sp => new A2IHumanReview(
            sp.GetRequiredKeyedService<AwsJsonClient>(AwsService.A2IRuntime),
            sp.GetRequiredService<DynamoDbTable>(),
            sp.GetRequiredService<IObjectStore>(),
            sp.GetRequiredService<IOptions<AwsOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new HumanReviewPortal(
            string.IsNullOrEmpty(Options(sp).LabelingPortalUrl) ? null : new Uri(Options(sp).LabelingPortalUrl!)));
        services.AddSingleton<INotifier>(sp => new SnsNotifier(
            sp.GetRequiredKeyedService<AwsJsonClient>(AwsService.Sns),
            sp.GetRequiredService<DynamoDbTable>(),
            sp.GetRequiredService<IOptions<AwsOptions>>(),
            sp.GetRequiredService<PipelineEvents>()));
        services.AddSingleton<ISchedules>(sp => new ParameterSchedules(
            sp.GetRequiredService<IParameterStore>(),
            sp.GetRequiredKeyedService<AwsJsonClient>(AwsService.EventBridge),
            sp.GetRequiredService<IOptions<AwsOptions>>()));
        return services;
    }

    /// <summary>An S3 client for the options: path-style addressing and checksums only where S3 requires them when an endpoint is overridden.</summary>
    internal static AmazonS3Client CreateS3(AWSCredentials credentials, AwsOptions options)
    {
        var config = Configure(new AmazonS3Config(), options, options.ServiceUrls.S3);
        config.ForcePathStyle = !string.IsNullOrEmpty(options.ServiceUrls.S3);
        config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
        config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        return new AmazonS3Client(credentials, config);
    }

    private static T Configure<T>(T config, AwsOptions options, string? serviceUrl)
        where T : ClientConfig
    {
        if (string.IsNullOrEmpty(serviceUrl))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = serviceUrl;
            config.AuthenticationRegion = options.Region;
        }

        return config;
    }

    private static AwsOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<AwsOptions>>().Value;

    private static void AddJsonClient(IServiceCollection services, AwsService service, Func<AwsOptions, string?> endpoint) =>
        services.AddKeyedSingleton(service, (sp, _) =>
        {
            var options = Options(sp);
            var url = endpoint(options);
            return new AwsJsonClient(
                service,
                options.Region,
                string.IsNullOrEmpty(url) ? null : new Uri(url),
                sp.GetRequiredService<AWSCredentials>(),
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                options.Retry,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger($"CustomLabels.Aws.{service.SigningName}"),
                sp.GetRequiredService<TimeProvider>());
        });
}
