using CustomLabels.Core;
using CustomLabels.Core.Models;
using CustomLabels.Core.Storage;
using CustomLabels.Core.Workflow;
using CustomLabels.Tests.Core.Models;
using CustomLabels.Tests.Web.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CustomLabels.Tests.E2E.Dashboard;

/// <summary>
/// "Where the model looked", in a real browser against the real app: the running model (<see cref="ServedLabelsModel"/>)
/// says where it found each label; the detection result and the review card draw it over the image at any size; the
/// reviewer drags a box of their own with the mouse, answers with a key, and the training copy keeps the box.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ReviewRegionTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string OperatorName = "olivia";
    private const string OperatorPassword = "olivia-password-1";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private RunningApp _app = default!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(
            new Dictionary<string, string>
            {
                ["CustomLabels:InitialOperator:UserName"] = OperatorName,
                ["CustomLabels:InitialOperator:Password"] = OperatorPassword,
                // The dashboard's assets are found by the web project's name, as when it runs on its own.
                ["applicationName"] = typeof(CustomLabels.Web.CustomLabelsWebApp).Assembly.GetName().Name!,
            },
            configure: builder => ServedLabelsModel.Register(builder.Services, ServedRegionsApp.Labels));
        await ServedLabelsModel.DeployAsync(_app.Services.GetRequiredService<SystemStateStore>());
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    /// <summary>Signs the operator in and detects an image of godot, which opens a loop.</summary>
    private async Task<(IPage Page, DetectionPage Detection)> DetectGodotAsync()
    {
        var page = await browser.NewPageAsync(_app.BaseAddress);
        await new SignInPage(page).SignInAsync(OperatorName, OperatorPassword);
        var detection = new DetectionPage(page);
        await detection.GotoAsync();
        await detection.DetectAsync(Path.Combine(TestImages.DemoTrain, "godot", "godot_01.jpg"));
        return (page, detection);
    }

    [Fact]
    public async Task TheAnswerKeysWorkAsSoonAsTheCardShowsWithoutAClickIntoIt()
    {
        var (page, _) = await DetectGodotAsync();

        var review = new ReviewQueuePage(page);
        await review.GotoAsync();
        await Assertions.Expect(review.Image).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-region-frame][data-drawing=attached]")).ToBeAttachedAsync();

        // No click anywhere: the key reaches the card.
        await review.PressAsync("n");
        await Assertions.Expect(review.Answered("None of the above")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AReviewerDrawsABoxOnTheCardAnswersWithAKeyAndTheTrainingImageKeepsTheRegion()
    {
        // 1. A detection: the result shows where the model found godot, on the image as it is shown.
        var (page, detection) = await DetectGodotAsync();
        await Assertions.Expect(detection.ModelRegion("godot")).ToBeVisibleAsync();
        await AssertOnImageAsync(detection.ResultImage, detection.ModelRegion("godot"), ServedRegionsApp.GodotRegion);

        // 2. The loop it went to: the card shows the model's region, and it stays on the image at another size.
        var review = new ReviewQueuePage(page);
        await review.GotoAsync();
        await Assertions.Expect(review.ModelRegion("godot")).ToBeVisibleAsync();
        await AssertOnImageAsync(review.Image, review.ModelRegion("godot"), ServedRegionsApp.GodotRegion);
        await page.SetViewportSizeAsync(380, 900);
        var narrow = (await review.Image.BoundingBoxAsync())!;
        Assert.True(narrow.Width < 380, $"The image did not shrink with the window: {narrow.Width} px wide.");
        await AssertOnImageAsync(review.Image, review.ModelRegion("godot"), ServedRegionsApp.GodotRegion);

        // 3. The reviewer drags a box, clears it, drags another (right to left, bottom to top) and answers with key 1.
        await review.DrawBoxAsync(0.1, 0.1, 0.3, 0.3);
        await review.ClearBoxAsync();
        await Assertions.Expect(review.DrawnBox).ToHaveCountAsync(0);
        await review.DrawBoxAsync(0.75, 0.8, 0.25, 0.2);
        var drawn = new BoundingBox(0.25f, 0.2f, 0.5f, 0.6f);
        await AssertOnImageAsync(review.Image, review.DrawnBox, drawn);
        await page.SetViewportSizeAsync(1280, 900);
        await AssertOnImageAsync(review.Image, review.DrawnBox, drawn);
        await review.PressAsync("1");
        await Assertions.Expect(review.Answered("godot (with a box)")).ToBeVisibleAsync();

        // 4. The review run copies the image into godot's folder with the box in its metadata.
        var copy = await TrainingImageAsync("images_labeled_by_folder/godot/");
        var region = BoundingBox.Of(copy.Metadata);
        Assert.NotNull(region);
        Assert.Equal(drawn.Left, region.Left, 0.01f);
        Assert.Equal(drawn.Top, region.Top, 0.01f);
        Assert.Equal(drawn.Width, region.Width, 0.01f);
        Assert.Equal(drawn.Height, region.Height, 0.01f);
    }

    /// <summary>
    /// The region's box on the page is the expected part of the image's box, to within a pixel and a half. Both boxes
    /// are measured at one moment, in the page, so that a layout still moving (a drawer closing) moves them together.
    /// </summary>
    private static async Task AssertOnImageAsync(ILocator image, ILocator region, BoundingBox expected)
    {
        await Assertions.Expect(image).ToHaveJSPropertyAsync("complete", true);
        var boxes = await region.EvaluateAsync<double[]>(
            "(region, image) => [image.getBoundingClientRect(), region.getBoundingClientRect()].flatMap(b => [b.x, b.y, b.width, b.height])",
            await image.ElementHandleAsync());
        var (x, y, width, height) = (boxes[0], boxes[1], boxes[2], boxes[3]);
        Assert.True(width > 50 && height > 50, $"The image is shown {width} x {height} px.");
        Assert.Equal(x + (expected.Left * width), boxes[4], 1.5);
        Assert.Equal(y + (expected.Top * height), boxes[5], 1.5);
        Assert.Equal(expected.Width * width, boxes[6], 1.5);
        Assert.Equal(expected.Height * height, boxes[7], 1.5);
    }

    /// <summary>Waits, at each change of the pipeline, for the first training image under a label folder.</summary>
    private async Task<ObjectInfo> TrainingImageAsync(string prefix)
    {
        var store = _app.Services.GetRequiredService<IObjectStore>();
        using var changed = new SemaphoreSlim(0);
        using var subscription = _app.Services.GetRequiredService<PipelineEvents>().Subscribe(_ => changed.Release());
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            var listing = await store.ListAsync(prefix, cancellationToken: timeout.Token);
            if (listing.Objects.Count > 0)
            {
                return await store.HeadAsync(listing.Objects[0].Key, timeout.Token) ?? throw new InvalidOperationException("The copy went away.");
            }

            await changed.WaitAsync(timeout.Token);
        }
    }
}
