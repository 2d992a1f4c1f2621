using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace CustomLabels.Tests.E2E.Dashboard;

/// <summary>What every dashboard page object shares.</summary>
public static class Dashboard
{
    /// <summary>Waits until the page is connected to the server and handles events.</summary>
    public static Task InteractiveAsync(IPage page) =>
        Assertions.Expect(page.Locator("[data-dashboard-interactive]")).ToBeAttachedAsync(new() { Timeout = (float)BrowserFixture.StepTimeout.TotalMilliseconds });
}

/// <summary>The sign-in page.</summary>
public sealed class SignInPage(IPage page)
{
    public async Task SignInAsync(string userName, string password)
    {
        await page.GotoAsync("/account/sign-in");
        await page.GetByLabel("User name").FillAsync(userName);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/sign-in", StringComparison.Ordinal));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true })).ToBeVisibleAsync();
    }
}

/// <summary>The training images page.</summary>
public sealed partial class TrainingImagesPage(IPage page)
{
    public async Task GotoAsync(string? label = null)
    {
        await page.GotoAsync(label is null ? "/training-images" : $"/training-images?label={Uri.EscapeDataString(label)}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Training images", Exact = true })).ToBeVisibleAsync();
        await Dashboard.InteractiveAsync(page);
    }

    /// <summary>Uploads files (a zip of label folders) and waits for the summary; returns how many were added.</summary>
    public async Task<int> UploadAsync(params string[] paths)
    {
        await page.Locator("input[type=file]").SetInputFilesAsync(paths);
        var summary = page.GetByRole(AriaRole.Status).Filter(new() { HasTextRegex = AddedRefused() });
        await Assertions.Expect(summary).ToHaveTextAsync(Finished(), new() { Timeout = 60_000 });
        return int.Parse(AddedRefused().Match(await summary.InnerTextAsync()).Groups["added"].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public ILocator Label(string label) => page.GetByRole(AriaRole.Navigation).Or(page.Locator("[aria-label=Labels]")).GetByText(label, new() { Exact = true });

    [GeneratedRegex(@"(?<added>\d+) added, (?<refused>\d+) refused")]
    private static partial Regex AddedRefused();

    [GeneratedRegex(@"\d+ added, \d+ refused\.")]
    private static partial Regex Finished();
}

/// <summary>The model versions page.</summary>
public sealed class ModelVersionsPage(IPage page)
{
    public async Task GotoAsync()
    {
        await page.GotoAsync("/model-versions");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Model versions", Exact = true })).ToBeVisibleAsync();
        await Dashboard.InteractiveAsync(page);
    }

    public async Task TrainNowAsync()
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Train now" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Training started")).ToBeVisibleAsync();
    }

    /// <summary>Waits, without reloading, until a version serves: the page updates itself as the pipeline moves.</summary>
    public Task WaitForRunningAsync(TimeSpan timeout) =>
        Assertions.Expect(page.GetByText("serving", new() { Exact = true })).ToBeVisibleAsync(new() { Timeout = (float)timeout.TotalMilliseconds });
}

/// <summary>The consumers' detection page.</summary>
public sealed class DetectionPage(IPage page)
{
    public async Task GotoAsync()
    {
        await page.GotoAsync("/detect");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Detection", Exact = true })).ToBeVisibleAsync();
        await Dashboard.InteractiveAsync(page);
    }

    /// <summary>Sends an image and waits for its result.</summary>
    public async Task<ILocator> DetectAsync(string path)
    {
        // Blazor's InputFile hears a choice only once its script has set the element up (it numbers the files it
        // reads from then on); a file chosen before that, on a busy machine, is never sent.
        await page.WaitForFunctionAsync("() => document.querySelector('input[type=file]')?._blazorInputFileNextFileId !== undefined");
        await page.Locator("input[type=file]").SetInputFilesAsync(path);
        var result = page.GetByRole(AriaRole.Region, new() { Name = "Detection result" });
        await Assertions.Expect(result).ToBeVisibleAsync(new() { Timeout = 90_000 });
        return result;
    }

    /// <summary>The detected image in the result.</summary>
    public ILocator ResultImage => page.GetByRole(AriaRole.Region, new() { Name = "Detection result" }).GetByRole(AriaRole.Img, new() { Name = "Detected image", Exact = true });

    /// <summary>The region drawn over the result where the model found a label.</summary>
    public ILocator ModelRegion(string label) =>
        page.GetByRole(AriaRole.Region, new() { Name = "Detection result" }).GetByRole(AriaRole.Img, new() { Name = $"Where the model found {label}", Exact = true });
}

/// <summary>The review queue.</summary>
public sealed class ReviewQueuePage(IPage page)
{
    public async Task GotoAsync()
    {
        await page.GotoAsync("/review");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Review queue", Exact = true })).ToBeVisibleAsync();
        await Dashboard.InteractiveAsync(page);
    }

    public async Task AnswerWithNewLabelAsync(string label)
    {
        await page.GetByLabel("A new label").FillAsync(label);
        await page.GetByRole(AriaRole.Button, new() { Name = "Answer with new label" }).ClickAsync();
    }

    public ILocator Answered(string label) => page.GetByRole(AriaRole.Row).Filter(new() { HasText = label });

    /// <summary>The image of the loop on the card.</summary>
    public ILocator Image => page.GetByRole(AriaRole.Img, new() { Name = "Image to review", Exact = true });

    /// <summary>The region drawn over the image where the model found a label.</summary>
    public ILocator ModelRegion(string label) => page.GetByRole(AriaRole.Img, new() { Name = $"Where the model found {label}", Exact = true });

    /// <summary>The box the reviewer drew.</summary>
    public ILocator DrawnBox => page.GetByRole(AriaRole.Img, new() { Name = "Your box", Exact = true });

    /// <summary>
    /// Drags the mouse across the image, from one point to another given in fractions of the image as it is shown, once
    /// the card lets the reviewer draw, and waits for the box to show.
    /// </summary>
    public async Task DrawBoxAsync(double fromX, double fromY, double toX, double toY)
    {
        await Assertions.Expect(page.Locator("[data-region-frame][data-drawing=attached]")).ToBeAttachedAsync();
        var image = await Image.BoundingBoxAsync() ?? throw new InvalidOperationException("The review image is not shown.");
        await page.Mouse.MoveAsync(image.X + (float)fromX * image.Width, image.Y + (float)fromY * image.Height);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(image.X + (float)toX * image.Width, image.Y + (float)toY * image.Height, new() { Steps = 8 });
        await page.Mouse.UpAsync();
        await Assertions.Expect(DrawnBox).ToBeVisibleAsync();
    }

    public Task ClearBoxAsync() => page.GetByRole(AriaRole.Button, new() { Name = "Clear box" }).ClickAsync();

    /// <summary>Presses an answer key (1-9, N) on the card.</summary>
    public Task PressAsync(string key) => page.Keyboard.PressAsync(key);
}

/// <summary>The runs page.</summary>
public sealed class RunsPage(IPage page)
{
    public async Task GotoAsync(string branch)
    {
        await page.GotoAsync($"/runs?branch={branch}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Runs", Exact = true })).ToBeVisibleAsync();
        await Dashboard.InteractiveAsync(page);
    }

    public ILocator Rows(string status) => page.GetByRole(AriaRole.Row).Filter(new() { HasText = status });
}
