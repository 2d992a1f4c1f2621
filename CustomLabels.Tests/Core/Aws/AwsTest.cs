using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CustomLabels.Core.Aws;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomLabels.Tests.Core.Aws;

/// <summary>The settings every AWS test shares: a made-up account in us-east-1 and AWS's example keys.</summary>
internal static class AwsTest
{
    public const string Region = "us-east-1";
    public const string AccessKey = "AKIDEXAMPLE";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    public const string Bucket = S3rverFixture.Bucket;
    public const string ProjectArn = "arn:aws:rekognition:us-east-1:123456789012:project/customlabels/1700000000000";
    public const string FlowDefinitionArn = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/customlabels-review";
    public const string StateMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:customlabels";
    public const string TopicArn = "arn:aws:sns:us-east-1:123456789012:customlabels";

    public static BasicAWSCredentials Credentials { get; } = new(AccessKey, SecretKey);

    /// <summary>One HTTP client for every test's JSON clients, as the product shares one per process.</summary>
    public static HttpClient Http { get; } = new();

    public static AwsOptions Options(string tableName = "customlabels") => new()
    {
        Region = Region,
        BucketName = Bucket,
        ParameterPathPrefix = "/customlabels/",
        StateMachineArn = StateMachineArn,
        ProjectArn = ProjectArn,
        FlowDefinitionArn = FlowDefinitionArn,
        TableName = tableName,
        TopicArn = TopicArn,
        LabelingPortalUrl = "https://abc123.labeling.us-east-1.sagemaker.aws",
        Retry = new AwsRetryOptions { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
    };

    /// <summary>The configuration of the AWS backend for these settings, as a host reads it.</summary>
    public static Dictionary<string, string?> Settings(string tableName = "customlabels") => new()
    {
        ["CustomLabels:Backend"] = "Aws",
        ["CustomLabels:Aws:Region"] = Region,
        ["CustomLabels:Aws:BucketName"] = Bucket,
        ["CustomLabels:Aws:ParameterPathPrefix"] = "/customlabels/",
        ["CustomLabels:Aws:StateMachineArn"] = StateMachineArn,
        ["CustomLabels:Aws:ProjectArn"] = ProjectArn,
        ["CustomLabels:Aws:FlowDefinitionArn"] = FlowDefinitionArn,
        ["CustomLabels:Aws:TableName"] = tableName,
        ["CustomLabels:Aws:TopicArn"] = TopicArn,
    };

    public static AwsJsonClient Client(AwsService service, Uri endpoint, AwsOptions? options = null) =>
        new(service, Region, endpoint, Credentials, Http, (options ?? Options()).Retry, NullLogger.Instance);

    public static AmazonDynamoDBClient DynamoDb(string url) =>
        new(Credentials, new AmazonDynamoDBConfig { ServiceURL = url, AuthenticationRegion = Region });

    /// <summary>Creates the pipeline's table as the stack does: string key pk, string sort key sk.</summary>
    public static async Task<string> CreateTableAsync(IAmazonDynamoDB dynamo)
    {
        var name = $"customlabels-{Guid.NewGuid():N}";
        await dynamo.CreateTableAsync(new CreateTableRequest
        {
            TableName = name,
            KeySchema = [new KeySchemaElement(DynamoDbTable.PartitionKey, KeyType.HASH), new KeySchemaElement(DynamoDbTable.SortKey, KeyType.RANGE)],
            AttributeDefinitions =
            [
                new AttributeDefinition(DynamoDbTable.PartitionKey, ScalarAttributeType.S),
                new AttributeDefinition(DynamoDbTable.SortKey, ScalarAttributeType.S),
            ],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });

        // A new table is CREATING for a moment; like the SDK's table-exists waiter, wait until it says ACTIVE.
        while ((await dynamo.DescribeTableAsync(name)).Table.TableStatus != TableStatus.ACTIVE)
        {
            await Task.Delay(10);
        }

        return name;
    }
}

[CollectionDefinition(Name)]
public sealed class BotocoreCollection : ICollectionFixture<BotocoreChecker>, ICollectionFixture<DynaliteFixture>
{
    public const string Name = "AWS wire checks";
}
