using System.Net;
using CustomLabels.Core.Accounts;
using CustomLabels.Core.Aws;
using CustomLabels.Core.Data;
using CustomLabels.Core.Detections;
using CustomLabels.Core.Models;
using CustomLabels.Core.Review;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Web.Api.Problems;

namespace CustomLabels.Tests.Web.Api;

/// <summary>The one table from exception to status: both backends' exceptions land on the same status.</summary>
public sealed class ProblemMappingTests
{
    public static TheoryData<Exception, int> CoreExceptions() => new()
    {
        { new HumanLoopNotFoundException("loop-1"), 404 },
        { new ExecutionDoesNotExistException("run-1"), 404 },
        { new ObjectNotFoundException("images_for_detection/a.jpg"), 404 },
        { new ProjectVersionNotFoundException("No project version is named 'v1'."), 404 },
        { new HumanLoopConflictException("The loop is Completed."), 409 },
        { new ExecutionAlreadyExistsException("run-1"), 409 },
        { new AccountConflictException("The user exists."), 409 },
        { new ObjectExistsException("images_labeled_by_folder/godot/a.jpg"), 409 },
        { new ProjectVersionConflictException("Version 'v1' is TRAINING_IN_PROGRESS."), 409 },
        { new AccountValidationException("Too short."), 400 },
        { new InvalidPageTokenException("Not a token."), 400 },
        { new InvalidObjectKeyException("../a", "traversal"), 400 },
        { new DetectionOptionException("minConfidence", "minConfidence is '101'; it must be a number from 0 to 100."), 400 },
        { new ImageTooLargeException("Too many pixels."), 413 },
        { new InvalidImageException("Not an image."), 415 },
        { new ModelNotRunningException("No model version is running yet."), 503 },
        { new InvalidOperationException("A bug."), 500 },
        { new KeyNotFoundException("A bug."), 500 },
        { new ArgumentException("A bug."), 500 },
    };

    [Theory]
    [MemberData(nameof(CoreExceptions))]
    public void EachCoreExceptionHasItsStatus(Exception exception, int status) =>
        Assert.Equal(status, ProblemMapping.For(exception).Status);

    [Theory]
    [InlineData("ResourceNotFoundException", 404)]
    [InlineData("ExecutionDoesNotExist", 404)]
    [InlineData("ConflictException", 409)]
    [InlineData("ResourceInUseException", 409)]
    [InlineData("ExecutionAlreadyExists", 409)]
    [InlineData("ValidationException", 400)]
    [InlineData("InvalidArn", 400)]
    [InlineData("InvalidImageFormatException", 415)]
    [InlineData("ImageTooLargeException", 413)]
    [InlineData("ResourceNotReadyException", 503)]
    [InlineData("ThrottlingException", 500)]
    public void AnAwsErrorHasTheStatusOfTheCoreExceptionItBecomes(string code, int status) =>
        Assert.Equal(status, ProblemMapping.For(AwsErrors.Map(new AwsServiceException(code, "as AWS says it", HttpStatusCode.BadRequest))).Status);

    [Fact]
    public void AFailedDetectionRunHasItsReasonsStatusAndSaysWhereTheRunIs()
    {
        var failed = ProblemMapping.For(new DetectionRunException("run-1", "images_for_detection/a.jpg", "The detection run ended FAILED: no model", new ModelNotRunningException("no model")));
        var late = ProblemMapping.For(new DetectionRunException("run-2", "images_for_detection/b.jpg", "The detection run did not end in time", new TimeoutException()));

        Assert.Equal((503, "The detection run ended FAILED: no model"), (failed.Status, failed.Detail));
        Assert.Equal("run-1", failed.Extensions["executionId"]);
        Assert.Equal("images_for_detection/a.jpg", failed.Extensions["objectKey"]);
        Assert.Equal(504, late.Status);
        Assert.Equal("run-2", late.Extensions["executionId"]);
    }

    [Fact]
    public void AnUnexpectedFailureSaysNothingInternal()
    {
        var problem = ProblemMapping.For(new InvalidOperationException("connection string secret=1"));

        Assert.True(problem.IsUnexpected);
        Assert.DoesNotContain("secret", problem.Detail, StringComparison.Ordinal);
    }
}
