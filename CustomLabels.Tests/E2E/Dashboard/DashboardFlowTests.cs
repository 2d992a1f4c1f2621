using System.IO.Compression;
using CustomLabels.Core.Accounts;
using CustomLabels.Tests.Web.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CustomLabels.Tests.E2E.Dashboard;

/// <summary>
/// The dashboard in a real browser against the real app (embedded backend, loopback port): an operator trains on the
/// sample images, a consumer detects an image of something unknown, a reviewer answers it, and the answer reaches the
/// training set and the run history; a consumer cannot open the operators' pages.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardFlowTests(BrowserFixture browser) : IAsyncLifetime, IDisposable
{
    private const string OperatorName = "olivia";
    private const string OperatorPassword = "olivia-password-1";
    private static readonly TimeSpan TrainingTimeout = TimeSpan.FromMinutes(4);

    private RunningApp _app = default!;
    private readonly TempDirectory _scratch = new();

    public async Task InitializeAsync() => _app = await RunningApp.StartAsync(new Dictionary<string, string>
    {
        ["CustomLabels:InitialOperator:UserName"] = OperatorName,
        ["CustomLabels:InitialOperator:Password"] = OperatorPassword,
        // The dashboard's assets are found by the web project's name, as when it runs on its own.
        ["applicationName"] = typeof(CustomLabels.Web.CustomLabelsWebApp).Assembly.GetName().Name!,
        // Polls and waits of the workflow pass in a twentieth of their time.
        ["CustomLabels:Workflow:TimeScale"] = "0.05",
    });

    private static string Samples()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "samples");
            if (File.Exists(Path.Combine(directory.FullName, "CustomLabels.slnx")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No samples/ folder beside CustomLabels.slnx above {AppContext.BaseDirectory}.");
    }

    private async Task<IPage> SignedInAsync(string userName, string password)
    {
        var page = await browser.NewPageAsync(_app.BaseAddress);
        await new SignInPage(page).SignInAsync(userName, password);
        return page;
    }

    private async Task CreateUserAsync(string userName, string password, AccountRole role) =>
        await _app.Services.GetRequiredService<IAccountStore>().CreateUserAsync(userName, password, role, OperatorName);

    [Fact]
    public async Task OperatorTrainsConsumerDetectsReviewerAnswersAndTheAnswerJoinsTheTrainingSet()
    {
        var samples = Samples();
        var demo = _scratch.Combine("demo.zip");
        ZipFile.CreateFromDirectory(Path.Combine(samples, "train"), demo);
        var imageCount = Directory.EnumerateFiles(Path.Combine(samples, "train"), "*.jpg", SearchOption.AllDirectories).Count();
        // samples/labels.csv names img_03 an image of hexchat, a brand the samples never enrol.
        Assert.Contains("inference/img_03.jpg,unknown:hexchat", await File.ReadAllTextAsync(Path.Combine(samples, "labels.csv")), StringComparison.Ordinal);
        var unknownImage = Path.Combine(samples, "inference", "img_03.jpg");

        // 1. The operator signs in, uploads the demo set, trains, and sees the version go RUNNING.
        var operatorPage = await SignedInAsync(OperatorName, OperatorPassword);
        var trainingImages = new TrainingImagesPage(operatorPage);
        await trainingImages.GotoAsync();
        Assert.Equal(imageCount, await trainingImages.UploadAsync(demo));
        var versions = new ModelVersionsPage(operatorPage);
        await versions.GotoAsync();
        await versions.TrainNowAsync();
        await versions.WaitForRunningAsync(TrainingTimeout);

        // 2. A consumer detects an image of something the model was never shown: it goes to review.
        await CreateUserAsync("carl", "carl-password-1", AccountRole.Consumer);
        var consumerPage = await SignedInAsync("carl", "carl-password-1");
        var detection = new DetectionPage(consumerPage);
        await detection.GotoAsync();
        var result = await detection.DetectAsync(unknownImage);
        await Assertions.Expect(result.GetByText("Sent to human review")).ToBeVisibleAsync();

        // 3. A reviewer answers it with a new label.
        await CreateUserAsync("rita", "rita-password-1", AccountRole.Reviewer);
        var reviewerPage = await SignedInAsync("rita", "rita-password-1");
        var review = new ReviewQueuePage(reviewerPage);
        await review.GotoAsync();
        await review.AnswerWithNewLabelAsync("hexchat");
        await Assertions.Expect(review.Answered("hexchat").Filter(new() { HasText = "rita" })).ToBeVisibleAsync();

        // 4. The operator sees the image in the training set and the review in the run history.
        await trainingImages.GotoAsync("hexchat");
        await Assertions.Expect(operatorPage.GetByRole(AriaRole.Heading, new() { Name = "hexchat", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(operatorPage.Locator("img[alt$='img_03.jpg']")).ToHaveCountAsync(1);
        var runs = new RunsPage(operatorPage);
        await runs.GotoAsync("review");
        await Assertions.Expect(runs.Rows("SUCCEEDED")).ToHaveCountAsync(1);

        // 5. A consumer cannot open the parameters page.
        var response = await consumerPage.GotoAsync("/parameters");
        Assert.Equal(403, response!.Status);
        await Assertions.Expect(consumerPage.GetByRole(AriaRole.Heading, new() { Name = "Parameters", Exact = true })).ToHaveCountAsync(0);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
    }

    public void Dispose() => _scratch.Dispose();
}
