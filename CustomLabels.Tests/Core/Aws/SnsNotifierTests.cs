using CustomLabels.Core.Notifications;
using CustomLabels.Core.Notifications.Aws;

namespace CustomLabels.Tests.Core.Aws;

public sealed class SnsNotifierTests
{
    [Theory]
    [InlineData("Détection: café crème ☕.jpg is below the threshold")]
    [InlineData("«Ünïcödé» 画像.png")]
    [InlineData("   \t leading blanks and a tab")]
    [InlineData("")]
    public void ThePublishedSubjectIsAsciiUnderAHundredCharactersAndStartsWithALetterNumberOrPunctuation(string subject)
    {
        var sent = SubjectOf(new string('x', 0) + subject);

        AssertSnsAccepts(sent);
    }

    [Fact]
    public void AVeryLongSubjectIsCutUnderAHundredCharacters()
    {
        var sent = SubjectOf("Detection of " + new string('a', 300) + ".jpg needs review");

        AssertSnsAccepts(sent);
        Assert.StartsWith("Detection of aaa", sent, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAsciiSubjectIsSentAsItIs() =>
        Assert.Equal("Model v2 deployed (F1 0.91)", SubjectOf("Model v2 deployed (F1 0.91)"));

    private static string SubjectOf(string subject)
    {
        var parameters = SnsNotifier.PublishParameters(
            AwsTest.TopicArn,
            new Notification(NotificationTopic.Consumer, subject, "message", DateTimeOffset.UnixEpoch, "info"));
        return parameters.Single(p => p.Key == "Subject").Value;
    }

    /// <summary>SNS Publish: "must be ASCII text that begins with a letter, number, or punctuation mark; must not include line breaks or control characters; and must be less than 100 characters long."</summary>
    private static void AssertSnsAccepts(string sent)
    {
        Assert.True(sent.Length is > 0 and < 100, $"'{sent}' has {sent.Length} characters");
        Assert.All(sent, c => Assert.True(c is >= ' ' and <= '~', $"'{sent}' has the character U+{(int)c:X4}"));
        Assert.True(char.IsAsciiLetterOrDigit(sent[0]) || char.IsPunctuation(sent[0]) || char.IsSymbol(sent[0]), $"'{sent}' begins with '{sent[0]}'");
    }
}
