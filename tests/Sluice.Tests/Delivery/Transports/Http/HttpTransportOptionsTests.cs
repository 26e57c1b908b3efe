using Sluice.Delivery.Transports.Http;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>The transport's settings: every problem named at once, each limit exactly where the documentation puts it.</summary>
public class HttpTransportOptionsTests
{
    private static HttpTransportOptions Valid() => new() { BaseAddress = new Uri("https://api.example.com") };

    [Fact]
    public void Valid_settings_have_no_problem()
    {
        Assert.Empty(Valid().Problems());
        Assert.Empty(new HttpTransportOptions { BaseAddress = new Uri("http://127.0.0.1:8080/proxy/") }.Problems());
    }

    [Theory]
    [InlineData(null, "BaseAddress must be an absolute http or https address (was none).")]
    [InlineData("/relative", "BaseAddress must be an absolute http or https address (was '/relative').")]
    [InlineData("ftp://example.com/", "BaseAddress must be an absolute http or https address (was 'ftp://example.com/').")]
    public void The_base_address_must_be_absolute_http_or_https(string? address, string problem)
    {
        var options = Valid();
        options.BaseAddress = address is null ? null : new Uri(address, UriKind.RelativeOrAbsolute);
        Assert.Equal([problem], options.Problems());
    }

    [Theory]
    [InlineData("https://api.example.com/?tenant=7", "BaseAddress must not have a query or fragment: each endpoint's path (/api/track, /v1/batch, …) is appended to it.")]
    [InlineData("https://api.example.com/ingest#v2", "BaseAddress must not have a query or fragment: each endpoint's path (/api/track, /v1/batch, …) is appended to it.")]
    [InlineData("https://user:secret@api.example.com/", "BaseAddress must not hold a user name or password: HttpClient does not send them; give the API's credentials as credentials.")]
    public void The_base_address_has_no_query_fragment_or_credentials_and_the_problem_never_echoes_them(string address, string problem)
    {
        // The transport appends each endpoint's path: after "?tenant=7" every batch would go to https://api.example.com/?tenant=7/api/track.
        var options = Valid();
        options.BaseAddress = new Uri(address);
        Assert.Equal([problem], options.Problems());
        var ex = Assert.Throws<ArgumentException>(() => new HttpTransport(options));
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10_000, true)]                      // 1 ms
    [InlineData(9_999, false)]
    [InlineData(0, false)]
    [InlineData(-10_000, false)]
    [InlineData(6_000_000_000, true)]               // 10 minutes
    [InlineData(6_000_000_001, false)]
    public void The_request_timeout_is_between_1_ms_and_10_minutes_inclusive(long ticks, bool valid)
    {
        var options = Valid();
        options.RequestTimeout = TimeSpan.FromTicks(ticks);
        if (valid)
            Assert.Empty(options.Problems());
        else
            Assert.Equal([$"RequestTimeout must be between 1 ms and 10 minutes (was {TimeSpan.FromTicks(ticks)})."], options.Problems());
    }

    [Fact]
    public void A_clock_and_credentials_are_required()
    {
        var options = Valid();
        options.TimeProvider = null!;
        options.Authentication = null!;
        Assert.Equal(["Authentication is required (use HttpAuthentication.None for none).", "TimeProvider is required."], options.Problems());
    }

    [Theory]
    [InlineData("", "v", "Headers: '' is not a valid header name.")]
    [InlineData(" ", "v", "Headers: ' ' is not a valid header name.")]
    [InlineData("X Tenant", "v", "Headers: 'X Tenant' is not a valid header name.")]
    [InlineData("X-Tenant:", "v", "Headers: 'X-Tenant:' is not a valid header name.")]
    [InlineData("authorization", "v", "Headers: authorization is written by the transport itself and cannot be set here.")]
    [InlineData("X-API-KEY", "v", "Headers: X-API-KEY is written by the transport itself and cannot be set here.")]
    [InlineData("Host", "v", "Headers: Host is written by the transport itself and cannot be set here.")]
    [InlineData("Content-Encoding", "v", "Headers: Content-Encoding is written by the transport itself and cannot be set here.")]
    [InlineData("X-Client-Id", "v", "Headers: X-Client-Id is written by the transport itself and cannot be set here.")]
    [InlineData("X-Client-Access-Token", "v", "Headers: X-Client-Access-Token is written by the transport itself and cannot be set here.")]
    [InlineData("User-Agent", "v", "Headers: User-Agent is written by the transport itself and cannot be set here.")]
    [InlineData("Content-Type", "v", "Headers: Content-Type is written by the transport itself and cannot be set here.")]
    [InlineData("Content-Length", "v", "Headers: Content-Length is written by the transport itself and cannot be set here.")]
    [InlineData("Transfer-Encoding", "gzip", "Headers: Transfer-Encoding is written by the transport itself and cannot be set here.")]
    [InlineData("content-language", "de", "Headers: content-language describes the body, which the transport writes itself: it cannot be set here.")]
    [InlineData("Content-MD5", "x", "Headers: Content-MD5 describes the body, which the transport writes itself: it cannot be set here.")]
    [InlineData("X-Tenant", "Zürich", "Headers: the value of X-Tenant must be printable ASCII; HttpClient refuses anything else on every request.")]
    [InlineData("X-Tenant", "a\tb", "Headers: the value of X-Tenant must be printable ASCII; HttpClient refuses anything else on every request.")]
    [InlineData("X-Tenant", null, "Headers: the value of X-Tenant must be one line of text.")]
    [InlineData("X-Tenant", "a\rb", "Headers: the value of X-Tenant must be one line of text.")]
    [InlineData("X-Tenant", "a\nb", "Headers: the value of X-Tenant must be one line of text.")]
    public void A_header_needs_a_token_for_a_name_a_name_the_transport_does_not_write_and_one_line_of_value(string name, string? value, string problem)
    {
        var options = Valid();
        options.Headers[name] = value!;
        Assert.Equal([problem], options.Problems());
    }

    [Fact]
    public void A_header_value_with_a_NUL_is_refused()
    {
        var options = Valid();
        options.Headers["X-Tenant"] = "a\0b";
        Assert.Equal(["Headers: the value of X-Tenant must be one line of text."], options.Problems());
    }

    [Theory]
    [InlineData("X-Tenant", "acme")]
    [InlineData("x_route.v2~!#$%&'*+^`|", "")]
    public void Any_other_token_and_one_line_value_is_a_valid_header(string name, string value)
    {
        var options = Valid();
        options.Headers[name] = value;
        Assert.Empty(options.Problems());
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("my-sdk/1.2.0", true)]
    [InlineData("my-sdk/1.2.0 (linux; x64) other/2", true)]
    [InlineData("", false)]
    [InlineData("  ", false)]
    [InlineData("not a (valid", false)]
    public void A_user_agent_is_product_tokens(string? userAgent, bool valid)
    {
        var options = Valid();
        options.UserAgent = userAgent;
        Assert.Equal(valid ? [] : [$"UserAgent must be product tokens such as my-sdk/1.2.0 (was '{userAgent}')."], options.Problems());
    }

    [Fact]
    public void Every_problem_is_reported_in_one_exception_one_line_each()
    {
        var options = new HttpTransportOptions { RequestTimeout = TimeSpan.Zero };
        options.Headers["Bad Name"] = "secret value";

        var ex = Assert.Throws<ArgumentException>(() => new HttpTransport(options));

        Assert.Equal("options", ex.ParamName);
        string nl = Environment.NewLine;
        Assert.StartsWith(
            $"Invalid HTTP transport options:{nl}- BaseAddress must be an absolute http or https address (was none).{nl}- RequestTimeout must be between 1 ms and 10 minutes (was 00:00:00).{nl}- Headers: 'Bad Name' is not a valid header name. (Parameter 'options')",
            ex.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }
}
